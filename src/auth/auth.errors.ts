import { DomainException } from '../common/errors/domain.exception.js';

export class InvalidCredentialsException extends DomainException {
  constructor() {
    // One answer for an unknown email and a wrong password: the API must not reveal which accounts exist.
    super('INVALID_CREDENTIALS', 'Email or password is wrong');
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
