/**
 * Hardware that cannot be read here, and what would make it readable. Device modules throw it;
 * a meter's probe turns it into an Availability, its create() into an error for the user.
 */
export class DeviceUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
    this.name = 'DeviceUnavailable';
  }
}
