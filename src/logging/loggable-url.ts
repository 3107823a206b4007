/** A signed media URL's last segment (`docs/media-urls.md`): the signature, a bearer capability until it expires. */
const MEDIA_URL_SIGNATURE = /^(\/api\/media\/(?:[^/?#]+\/){5})[^/?#]+/;

/** A request URL as logs may keep it: signed media URLs lose their signature, so a log can not replay them. */
export function loggableUrl(url: string | undefined): string | undefined {
  return url?.replace(MEDIA_URL_SIGNATURE, '$1[signature]');
}
