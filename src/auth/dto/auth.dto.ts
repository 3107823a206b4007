import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsEmail, IsIn, IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';
import { displayEmailOf } from '../emails.js';
import { USER_ROLES, type UserRole } from '../user.entity.js';
import { HasNoInvisibleCharacter, HasVisibleCharacter } from '../../common/visible-text.js';
import { IsOmittable } from '../../common/validation.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** NFKC before validation too: a full-width address is validated (and stored) as the ASCII one it stands for. */
const normaliseEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? displayEmailOf(value) : value);

/** What makes a password acceptable, the same on user creation and password change. */
const AcceptablePassword = () =>
  applyDecorators(ApiProperty({ minLength: 8, maxLength: 1024 }), IsString(), MinLength(8), MaxLength(1024));

export class LoginDto {
  @ApiProperty({ example: 'admin@localhost' })
  @Transform(normaliseEmail)
  @IsString()
  @MaxLength(320)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password: string;
}

export class CreateUserDto {
  @ApiProperty({ example: 'ann@example.com' })
  @Transform(normaliseEmail)
  @IsEmail({ require_tld: false })
  @HasNoInvisibleCharacter() // `ann\u200b@example.com` would show, and name itself, as `ann@example.com`
  @MaxLength(320)
  email: string;

  @AcceptablePassword()
  password: string;

  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES)
  role: UserRole;

  @ApiPropertyOptional({ description: "display name; default: the e-mail's local part", maxLength: 100 })
  @Transform(trim)
  @IsOmittable()
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @HasVisibleCharacter()
  name?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ enum: USER_ROLES })
  @IsOmittable()
  @IsIn(USER_ROLES)
  role?: UserRole;

  @ApiPropertyOptional()
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;
}

export class RefreshDto {
  @ApiProperty()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ description: 'ends the session of this refresh token; without it, the current session ends' })
  @IsOmittable()
  @IsString()
  @MaxLength(200)
  refreshToken?: string;
}

export class ChangePasswordDto {
  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  currentPassword: string;

  @AcceptablePassword()
  newPassword: string;
}
