import { useState, type FormEvent } from 'react';
import { signIn } from '../api/client';
import { ErrorAlert, formText } from '../components/ui';

export function SignInPage() {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      await signIn(formText(form, 'email'), formText(form, 'password'));
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>mediavault</h1>
      <p className="muted">Sign in with your account.</p>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ErrorAlert error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
