import { DomainException } from '../common/errors/domain.exception.js';

export class InvalidCredentialsException extends DomainException {
  constructor(message = 'Email or password is wrong') {
    // One answer for an unknown email and a wrong password: the API must not reveal which accounts exist.
    super('INVALID_CREDENTIALS', message);
  }
}

export class UnauthorizedException extends DomainException {
  constructor(message = 'Authentication is required') {
    super('UNAUTHORIZED', message);
  }
}

export class EmailTakenException extends DomainException {
  constructor() {
    super('EMAIL_TAKEN', 'A user with this email already exists');
  }
}

export class InvalidRefreshTokenException extends DomainException {
  constructor() {
    // One answer for unknown, expired, revoked and reused tokens: the client logs in again in every case.
    super('INVALID_REFRESH_TOKEN', 'The refresh token is invalid, expired or revoked; log in again');
  }
}

export class AccountDisabledException extends DomainException {
  constructor() {
    super('ACCOUNT_DISABLED', 'This account is disabled');
  }
}

export class LastAdminException extends DomainException {
  constructor() {
    super('LAST_ADMIN', 'This would leave no active admin: promote or enable another admin first');
  }
}
