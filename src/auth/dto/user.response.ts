import { ApiProperty } from '@nestjs/swagger';
import { PageResponse } from '../../common/openapi/page.response.js';
import { USER_ROLES, type UserRole } from '../user.entity.js';

/** `user` of the contract: never a password hash. */
export class UserResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty({ description: 'display name' }) name: string;
  @ApiProperty({ enum: USER_ROLES, enumName: 'UserRole' }) role: UserRole;
  @ApiProperty() disabled: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class UserPageResponse extends PageResponse(UserResponse) {}

export class LoginResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ type: 'integer', description: 'seconds until the access token expires' }) expiresIn: number;
  @ApiProperty({ description: 'single use: POST /api/auth/refresh answers the next one' }) refreshToken: string;
  @ApiProperty({ type: UserResponse }) user: UserResponse;
}
