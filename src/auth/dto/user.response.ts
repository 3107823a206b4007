import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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

/** A user as other records show them (a file's `createdBy`): the e-mail only to admins and the user themself. */
export class UserRefResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'display name' }) name: string;
  @ApiPropertyOptional() email?: string;
}

export class UserPageResponse extends PageResponse(UserResponse) {}

export class LoginResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ type: 'integer', description: 'seconds until the access token expires' }) expiresIn: number;
  @ApiProperty({ description: 'single use: POST /api/auth/refresh answers the next one' }) refreshToken: string;
  @ApiProperty({ type: UserResponse }) user: UserResponse;
}
