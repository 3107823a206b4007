import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import type { Role, User } from '../api/types';
import { ErrorAlert, formatDate, formText, Loading, useResource } from '../components/ui';

function setDisabled(id: string, disabled: boolean): Promise<unknown> {
  return call(api.PATCH('/api/users/{id}', { params: { path: { id } }, body: { disabled } }));
}

export default function UsersPage({ user: me }: { user: User }) {
  const list = useResource(() => call(api.GET('/api/users', { params: { query: { pageSize: 100 } } })), 'users');
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>();

  const run = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
      setCreating(false);
      list.reload();
    } catch (failure) {
      setError(failure);
    }
  };

  const create = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body = {
      email: formText(form, 'email'),
      password: formText(form, 'password'),
      role: formText(form, 'role') as Role,
    };
    void run(() => call(api.POST('/api/users', { body })));
  };

  return (
    <>
      <h1>Users</h1>
      <div className="toolbar">
        <button type="button" onClick={() => setCreating(true)}>
          New user
        </button>
      </div>
      <ErrorAlert error={error ?? list.error} />
      {creating && (
        <form className="inline-form" aria-label="New user" onSubmit={create}>
          <label>
            Email
            <input name="email" type="email" required autoFocus autoComplete="off" />
          </label>
          <label>
            Password
            <input name="password" type="password" required autoComplete="new-password" />
          </label>
          <label>
            Role
            <select name="role" defaultValue="member">
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <button type="submit">Create</button>
          <button type="button" onClick={() => setCreating(false)}>
            Cancel
          </button>
        </form>
      )}
      {list.loading && !list.data && <Loading />}
      <ul className="rows" aria-label="Users">
        {list.data?.results.map((user) => (
          <li key={user.id} className="row">
            <div className="row-main">
              <span className="name">{user.email}</span>
              <span className="muted small">
                {user.role}
                {user.disabled ? ' · disabled' : ''} · since {formatDate(user.createdAt)}
              </span>
            </div>
            {user.id !== me.id && (
              <span className="row-actions">
                {user.disabled ? (
                  <button type="button" onClick={() => void run(() => setDisabled(user.id, false))}>
                    Enable
                  </button>
                ) : (
                  <button type="button" className="danger" onClick={() => void run(() => setDisabled(user.id, true))}>
                    Disable
                  </button>
                )}
              </span>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
