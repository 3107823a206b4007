import { accessToken, ApiError, toApiError } from '../api/client';
import type { UploadResponse } from '../api/types';

/**
 * Sends one file to POST /api/uploads. XMLHttpRequest rather than fetch: only XHR reports upload progress, and
 * the browser streams the File from disk, so its size does not matter here either.
 */
export async function sendFile(file: File, onProgress: (sent: number, total: number) => void): Promise<UploadResponse> {
  const token = await accessToken();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/uploads');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.response as UploadResponse);
      else reject(toApiError({ status: xhr.status, statusText: xhr.statusText }, xhr.response));
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: the server could not be reached'));
    xhr.onabort = () => reject(new ApiError(0, 'The upload was cancelled'));
    const body = new FormData();
    body.append('files', file, file.name);
    xhr.send(body);
  });
}
