/**
 * Hardware that cannot be read here, and what would make it readable. Device modules throw it;
 * a meter's probe turns it into an Availability, its create() into an error for the user.
 * `faulty`: the device or its tool is there but failed or did not answer (not merely absent),
 * which is worth telling a user whose run goes on without it.
 */
export class DeviceUnavailable extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
    readonly faulty: boolean = false,
  ) {
    super(reason);
    this.name = 'DeviceUnavailable';
  }
}
