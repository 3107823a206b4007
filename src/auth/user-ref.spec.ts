import type { AuthenticatedUser } from './authenticated-user.js';
import { userRefFor } from './user-ref.js';

describe('userRefFor', () => {
  const ann = { id: 'a', name: 'Ann', email: 'ann@example.com' };
  const admin: AuthenticatedUser = { id: 'z', email: 'admin@example.com', role: 'admin' };
  const member: AuthenticatedUser = { id: 'm', email: 'member@example.com', role: 'member' };

  it('shows id and name to anonymous callers and other members', () => {
    expect(userRefFor(ann)).toEqual({ id: 'a', name: 'Ann' });
    expect(userRefFor(ann, member)).toEqual({ id: 'a', name: 'Ann' });
  });

  it('adds the e-mail for admins and for the user themself', () => {
    expect(userRefFor(ann, admin)).toEqual(ann);
    expect(userRefFor(ann, { id: 'a', email: ann.email, role: 'member' })).toEqual(ann);
  });
});
