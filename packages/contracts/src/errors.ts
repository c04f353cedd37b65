/**
 * The one catalog of stable error codes, and the source of docs/errors.md (`npm run docs:errors`):
 * `when` says when each is thrown, `action` what the caller should do. Each code has its HTTP status, a default human message and
 * a page in docs/errors.md (anchor = the code in lower case). Codes are part of the public API:
 * add new ones, never rename or remove.
 */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: {
    status: 400,
    message: 'The request is not valid.',
    when: 'An input field is missing, malformed or out of range. `field` names it (dotted path); `message` says why. Also, refused at the edge before any rule runs: text holding a NUL character (U+0000) or a lone surrogate (not well-formed Unicode) anywhere in a body, query value, tRPC `input` or path; a `__proto__` key; a REST body that is not a JSON object.',
    action: 'Fix the field and send again (failed validation does not consume the idempotency key).',
  },
  MALFORMED_JSON: {
    status: 400,
    message: 'The request body is not valid JSON.',
    when: 'The body (or a tRPC `input` query parameter) could not be parsed as JSON.',
    action: 'Send valid JSON with `Content-Type: application/json`.',
  },
  NESTING_TOO_DEEP: {
    status: 400,
    message: 'The input nests objects or arrays more than 64 levels deep.',
    when: 'A JSON body or tRPC `input` nests objects or arrays more than 64 levels deep (no Latih input needs more than a few). `field` names the top of the offending branch. Refused before anything is read or written.',
    action: 'Send the input as the reference describes it.',
  },
  BODY_UNREADABLE: {
    status: 400,
    message: 'The request body could not be read as its headers describe it.',
    when: 'The body is not what its `Content-Encoding` says (a body labelled gzip, deflate or br that is not), or it ended before its `Content-Length`.',
    action:
      'Send the body uncompressed (or compressed as its `Content-Encoding` says), with a correct `Content-Length`.',
  },
  MALFORMED_REQUEST: {
    status: 400,
    message: 'The HTTP request could not be parsed.',
    when: 'The HTTP parser refused the request before it reached the gateway: a header holding a forbidden character (NUL, a bare CR or LF), an invalid request line, a broken chunked body. The connection is closed.',
    action: 'Fix the client; use a maintained HTTP library.',
  },
  HEADERS_TOO_LARGE: {
    status: 431,
    message: 'The request line and headers are larger than 16 KB.',
    when: 'The URL (a long query string or tRPC `input`) and headers together exceed 16 KB. The connection is closed.',
    action: 'Send large inputs in a body: a mutation, or fewer and shorter filters and cursors on a query.',
  },
  IDEMPOTENCY_KEY_INVALID: {
    status: 400,
    message: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
    when: 'The `Idempotency-Key` header is empty, longer than 255 characters, or not printable ASCII.',
    action: 'Use a UUID (the SDK does this for you).',
  },
  TOKEN_MISSING: {
    status: 401,
    message: 'An access token is required: send Authorization: Bearer <token>.',
    when: 'No `Authorization: Bearer …` header.',
    action: 'Get a token at `POST /v1/oauth/token` and send it.',
  },
  TOKEN_EXPIRED: {
    status: 401,
    message: 'The access token has expired: request a new one.',
    when: 'The access token is past its `exp` (tokens live 15 minutes; 60 s of clock skew is allowed).',
    action: 'Get a new token (the SDK refreshes before expiry and retries once on 401).',
  },
  TOKEN_INVALID: {
    status: 401,
    message: 'The access token is not valid.',
    when: 'The token is malformed, signed by an unknown or withdrawn key, forged, uses another algorithm than ES256 (including `alg: none`), or names another issuer or audience.',
    action: 'Get a new token; if it persists, check you are talking to the right environment.',
  },
  FORBIDDEN_ROLE: {
    status: 403,
    message: 'Your organisation role may not call this procedure.',
    when: "Your organisation's role (provider, platform, PMO) may not call this procedure.",
    action: 'Use the procedures of your audience (`provider.*`, `platform.*`, `pmo.*`).',
  },
  SCOPE_MISSING: {
    status: 403,
    message: 'The access token lacks the scope this procedure needs.',
    when: 'The token was issued with a narrower `scope` than this procedure needs.',
    action: 'Request the token without `scope`, or with the scope named in the message.',
  },
  NOT_FOUND: {
    status: 404,
    message: 'The resource does not exist or is not visible to you.',
    when: "The resource does not exist, belongs to another organisation, or is not visible in its state (a platform cannot see another provider's course before it is published, nor a run before it opens, wherever it names one: catalog, checkout). The answer is the same in every case, so that existence is not leaked.",
    action: 'Check the id and that it is yours.',
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    message: 'No such endpoint.',
    when: 'No endpoint at this path (or no such tRPC procedure).',
    action: 'Check the path against `/v1/openapi.json`.',
  },
  METHOD_NOT_SUPPORTED: {
    status: 405,
    message: 'This endpoint does not accept that HTTP method.',
    when: 'The tRPC procedure exists but not with this HTTP method (a query sent as POST, a mutation as GET).',
    action: 'Use the method in the reference.',
  },
  IDEMPOTENCY_IN_PROGRESS: {
    status: 409,
    message: 'A request with this Idempotency-Key is still being processed: retry shortly.',
    when: 'A request with the same `Idempotency-Key` is still running (as long as it runs: the same request never runs twice at once), or it died with its gateway and its key is held until its 2-minute lock expires (at most 2 minutes after it started); also a request that lost its key to such a retry (it keeps none of its effects). `Retry-After` is 1 second while the first request runs; when it died, the seconds until its lock expires.',
    action:
      "Wait `Retry-After` seconds and retry with the same key: you get the first request's response, or, after a crash, the request runs then.",
  },
  INVALID_STATE: {
    status: 409,
    message: 'The resource is not in a state that allows this action.',
    when: "The action is not allowed in the resource's current state (e.g. submitting a course that is not a DRAFT, editing one in review, opening a run of a course not on sale, cancelling a run some of whose enrollments already have a reported outcome). The message names the state.",
    action: 'Read the resource, then decide; do not retry blindly.',
  },
  EXTERNAL_ID_TAKEN: {
    status: 409,
    message: 'You already have a resource with this externalId.',
    when: 'You already have a course or run with this `externalId`, or a batch names it twice.',
    action: 'Use the existing record (import upserts on `externalId`), or another id.',
  },
  DUPLICATE_COURSE: {
    status: 409,
    message: 'You already have a course with the same title, mode and hours.',
    when: 'Bulk import: you already have a course with the same title (ignoring case), mode and hours under another `externalId`.',
    action: 'Re-import it under its existing `externalId`, or make the course distinct.',
  },
  CAPACITY_BELOW_SEATS_TAKEN: {
    status: 409,
    message: 'Capacity cannot go below the seats already sold.',
    when: "A run's new capacity is below the seats already sold.",
    action: 'Keep the capacity at or above `seatsTaken`.',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    message: 'The request body is larger than 1 MB.',
    when: 'The body is over 1 MB (10 MB for bulk import).',
    action: 'Split the batch.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'Send the request body as application/json.',
    when: 'The body is not `application/json` (the token endpoint also takes `application/x-www-form-urlencoded`), uses a charset other than UTF-8, or a `Content-Encoding` other than gzip, deflate or br. Refused before the body is read.',
    action: 'Send JSON in UTF-8, uncompressed or gzip-compressed.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'This Idempotency-Key was already used with a different request.',
    when: 'The key was already used with a different procedure or body (keys are per client and kept 24 hours).',
    action: 'Use a new key for a new request; reuse a key only to retry the same request.',
  },
  SCHEME_UNKNOWN: {
    status: 422,
    message: 'No such program scheme.',
    when: '`schemeId` names no program scheme.',
    action: 'Use an id from `GET /v1/public/schemes`, or omit it for the current scheme.',
  },
  SCHEME_MIN_HOURS: {
    status: 422,
    message: "The course is shorter than the scheme's minimum hours.",
    when: "The course is shorter than its scheme's minimum (15 hours in the 2023+ scheme).",
    action: 'Lengthen the course, or choose a scheme without a minimum.',
  },
  SCHEME_PRICE_ABOVE_BALANCE: {
    status: 422,
    message: "The price is above the scheme's training balance.",
    when: "The price is above the scheme's training balance (Rp3.500.000 in 2023+, Rp1.000.000 in 2020–2022): no participant could buy it.",
    action: 'Lower the price.',
  },
  SCHEME_MODE_NOT_ALLOWED: {
    status: 422,
    message: 'The scheme does not allow this course mode.',
    when: "The scheme does not allow the course's mode (2023+ allows webinar, luring and hybrid; 2020–2022 self-paced and webinar).",
    action: 'Choose an allowed mode or the matching scheme.',
  },
  COURSE_INCOMPLETE: {
    status: 422,
    message: 'The course lacks what review needs.',
    when: 'Submitting for review without what review needs: at least one learning outcome, and (unless self-paced) a scheduled run. `field` says which.',
    action: 'Add it, then submit again.',
  },
  RUNS_NOT_ALLOWED: {
    status: 422,
    message: 'Self-paced courses have no runs.',
    when: 'A run was scheduled for a self-paced course.',
    action: 'Self-paced courses are sold without runs.',
  },
  REGENCY_UNKNOWN: {
    status: 422,
    message: 'Not an official regency/city code.',
    when: "A venue's `regencyCode` is not an official regency/city code.",
    action: 'Use a code from `GET /v1/public/regions?provinceCode=…` (e.g. 32.73 for Kota Bandung).',
  },
  SESSION_SEQUENCE_INVALID: {
    status: 422,
    message: 'Session sequences must be 1, 2, 3 … in time order.',
    when: 'Session sequences are not 1, 2, 3 … without gaps or repeats.',
    action: 'Number the sessions from 1 in time order.',
  },
  SESSION_TIMES_INVALID: {
    status: 422,
    message: 'A session must end after it starts.',
    when: 'A session ends at or before its start.',
    action: 'Fix `endsAt`.',
  },
  SESSION_IN_PAST: {
    status: 422,
    message: 'Sessions must start in the future.',
    when: 'A session starts in the past.',
    action: 'Schedule it in the future.',
  },
  SESSIONS_OVERLAP: {
    status: 422,
    message: 'Sessions of a run may not overlap.',
    when: 'A session starts before the previous one (by sequence) ends.',
    action: 'Move it, or renumber the sessions in time order.',
  },
  SESSION_HOURS_MISMATCH: {
    status: 422,
    message: "The sessions' total hours differ from the course hours.",
    when: "The run's sessions do not add up to the course's hours.",
    action: "Make the sessions' total equal the course `hours`.",
  },
  SESSION_MODE_INVALID: {
    status: 422,
    message: "The session mode does not fit the course's mode.",
    when: "A session's mode does not fit the course: webinar runs are online, luring runs are luring, hybrid runs say each session's mode and have both; online sessions have no venue.",
    action: "Fix the session's `mode` or `venue`.",
  },
  VENUE_REQUIRED: {
    status: 422,
    message: 'Luring sessions need a venue.',
    when: 'A luring session has no venue.',
    action: 'Give the venue: name, address, regency code, coordinates.',
  },
  TIME_ZONE_MISMATCH: {
    status: 422,
    message: "The session's time zone is not the venue's.",
    when: "A luring session's time zone is not its venue's (WIB, WITA or WIT by province).",
    action: "Use the venue's time zone (it is in `GET /v1/public/regions`).",
  },
  NIK_INVALID: {
    status: 422,
    message: 'Not a plausible NIK.',
    when: 'A NIK is not 16 digits, names no known province, has an impossible birth date or serial, or disagrees with the birth date or gender given.',
    action: "Check the NIK against the participant's identity card.",
  },
  PARTICIPANT_NOT_ACTIVE: {
    status: 422,
    message: 'The participant cannot buy training.',
    when: 'The card belongs to a participant who is not active (withdrawn or blocked by the program).',
    action: 'Tell the participant to contact the program.',
  },
  PARTICIPANT_REGISTRY_PENDING: {
    status: 409,
    message: "The participant's identity is still being checked against the population registry.",
    when: 'The participant was imported while the population registry (Dukcapil) could not be reached; the check is retried until it gives a verdict. Nobody buys before it does.',
    action: 'Ask the participant to try again later (usually minutes). The same request may be sent again.',
  },
  PARTICIPANT_REGISTRY_BLOCKED: {
    status: 422,
    message: "The participant's data does not match the population registry.",
    when: "The population registry's check found the participant's NIK, name or birth date not matching its record; the program office resolves it (a new check after correcting the data, or an override with a recorded reason). Platforms are not told which field differs.",
    action: 'Tell the participant to contact the program to correct their data.',
  },
  REGISTRY_NIK_MISMATCH: {
    status: 422,
    message: 'The NIK given is not this participant’s.',
    when: "`pmo.participants.registry.recheck` was given a NIK whose keyed hash is not the participant's (the NIK is kept only as that hash, so a check that is not queued needs it again).",
    action: "Give the participant's NIK from their identity card.",
  },
  REGISTRY_NOT_OPEN: {
    status: 409,
    message: 'The participant’s registry check has nothing to resolve.',
    when: 'An override was asked for a participant who is not BLOCKED or PENDING.',
    action: 'Read the participant’s registry status first (`pmo.participants.registry.get`).',
  },
  PURCHASE_WINDOW_CLOSED: {
    status: 422,
    message: "The participant's purchase window has closed.",
    when: "The participant's purchase deadline (15 days after the card is granted in 2023+, 30 days in 2020–2022) has passed.",
    action: 'Nothing to buy any more; the unused balance returns to the program.',
  },
  COURSE_NOT_ON_SALE: {
    status: 422,
    message: 'The course (or run) is not on sale.',
    when: "The course was on sale and no longer is (SUSPENDED, WITHDRAWN, or its provider is not active), it is not in the participant's scheme, or the run is not open (under way or over). A course that was never published (a draft, in review, rejected) or a run never opened answers NOT_FOUND instead, exactly like an unknown id: platforms never learn that another provider's unpublished work exists.",
    action: 'Refresh the catalog; offer another course or run.',
  },
  RUN_FULL: {
    status: 409,
    message: 'The run has no seat left.',
    when: 'The last seat of the run was taken (possibly by a concurrent purchase).',
    action: 'Offer another run of the course.',
  },
  RUN_CANCELLED: {
    status: 409,
    message: 'The run was cancelled: nothing was charged.',
    when: 'The run was cancelled by its provider or the program, at checkout or while the purchase was being confirmed (a confirm that loses to the cancellation). The balance was not debited and no voucher was issued.',
    action: 'Offer another run of the course (the `run.cancelled` event says why); do not retry this one.',
  },
  INSUFFICIENT_BALANCE: {
    status: 422,
    message: "The participant's balance does not cover the price.",
    when: "The participant's training balance is below the price (checked again, atomically, when the purchase is confirmed).",
    action: 'Offer a cheaper course.',
  },
  COURSE_ALREADY_PURCHASED: {
    status: 409,
    message: 'The participant already holds a voucher for this course.',
    when: 'The participant has an issued, redeemed or completed voucher for the same course.',
    action: 'Cancel the existing voucher first if it is a mistake.',
  },
  OTP_INVALID: {
    status: 422,
    message: 'The one-time code is wrong.',
    when: 'The code does not match. Each wrong code counts; the fifth locks the checkout.',
    action: 'Ask the participant for the code again and confirm with a new idempotency key.',
  },
  OTP_EXPIRED: {
    status: 422,
    message: 'The one-time code has expired.',
    when: 'More than 10 minutes passed since the checkout was created.',
    action: 'Create a new checkout.',
  },
  OTP_LOCKED: {
    status: 429,
    message: 'Too many wrong codes: the checkout is locked.',
    when: 'Five wrong codes were given for this checkout.',
    action: 'Create a new checkout.',
  },
  OTP_CHANNEL_UNAVAILABLE: {
    status: 503,
    message: 'No channel is configured to send one-time codes.',
    when: 'The gateway runs in production without a delivery channel for one-time codes.',
    action: 'Retry later; operators must configure the channel.',
  },
  VOUCHER_NOT_CANCELLABLE: {
    status: 409,
    message: 'Only an unredeemed voucher can be cancelled.',
    when: 'The voucher was already redeemed, completed, cancelled or expired.',
    action: 'Nothing to refund.',
  },
  CODE_MALFORMED: {
    status: 422,
    message: 'This is not a voucher code: check for a typo.',
    when: 'The code has the wrong length or characters, or its check character does not match (a typo caught before any lookup).',
    action: 'Ask the participant to read the code again.',
  },
  VOUCHER_NOT_FOUND: {
    status: 404,
    message: 'No voucher has this code.',
    when: 'The code is well formed but was never issued.',
    action: 'Ask the participant to check the code in their platform account.',
  },
  VOUCHER_OTHER_PROVIDER: {
    status: 403,
    message: 'This voucher is for another provider’s course.',
    when: 'The voucher was bought for a course of another provider. Deliberately not VOUCHER_NOT_FOUND: it tells the participant to go to the right provider, and voucher codes are random with a check character, so the answer helps no one guessing codes.',
    action: 'Send the participant to the right provider.',
  },
  VOUCHER_WRONG_COURSE: {
    status: 422,
    message: 'This voucher is for another of your courses.',
    when: 'The voucher is yours but for a different course (or run) than the one being redeemed.',
    action: 'Redeem it for the course it names (see check).',
  },
  VOUCHER_CANCELLED: {
    status: 409,
    message: 'This voucher was cancelled and refunded.',
    when: 'The platform cancelled it, or its run was cancelled (then even a voucher already redeemed is cancelled and refunded; its `closeReason` is `RUN_CANCELLED`).',
    action: 'The participant must buy again.',
  },
  VOUCHER_EXPIRED: {
    status: 409,
    message: 'This voucher has expired.',
    when: 'Its redemption deadline passed before it was redeemed; the price went back to the participant.',
    action: 'Nothing to redeem.',
  },
  VOUCHER_ALREADY_REDEEMED: {
    status: 409,
    message: 'This voucher was already redeemed.',
    when: 'It was redeemed before (possibly by a concurrent request): redemption happens exactly once.',
    action: 'Look up the enrollment; do not redeem again.',
  },
  REDEMPTION_WINDOW_NOT_OPEN: {
    status: 409,
    message: 'Too early to redeem this voucher.',
    when: 'For a scheduled run, redemption opens 1 hour (per scheme) before its first session starts.',
    action: 'Redeem when the class is about to start.',
  },
  REDEMPTION_WINDOW_CLOSED: {
    status: 409,
    message: 'Too late to redeem this voucher.',
    when: 'For a scheduled run, redemption closes 1 hour (per scheme) after its first session starts; for self-paced courses at the voucher’s deadline.',
    action: 'The voucher will expire and refund.',
  },
  ATTENDANCE_METHOD_RESERVED: {
    status: 422,
    message: "FACE_MATCH attendance comes only from the program's identity check.",
    when: "Attendance was recorded with the method FACE_MATCH, which only the identity-check hand-off (the participant answering on the gateway's page) records.",
    action:
      'Send the participant through provider.attendance.verificationLink for the session; record a check of your own as PROVIDER_FACE_CHECK, VENUE_QR, ONLINE_PRESENCE or MANUAL.',
  },
  OCCURRED_AT_OUT_OF_RANGE: {
    status: 422,
    message: 'occurredAt is outside what the scheme accepts.',
    when: "An attendance, assignment or post-test said it happened in the future, before its session opened (or the enrollment began), or longer ago than the scheme's reporting.maxLateHours. Also an attendance recorded without occurredAt (it happens now), or an identity-check link asked, for a session that has not opened yet (30 minutes before it starts): `field` is then `sequence`.",
    action:
      'Send the time it really happened, in UTC, from a synchronised clock; record a session once it has opened; a record later than the scheme allows is not accepted (ask the program office).',
  },
  ATTENDANCE_IDENTITY_CHECKED: {
    status: 409,
    message: "The session's attendance was decided by the identity check.",
    when: "Attendance was recorded for a session whose attendance came from the program's identity check (FACE_MATCH, confirmed or rejected): a provider's record cannot replace it.",
    action:
      'To check the participant again, send them through a new provider.attendance.verificationLink for the session.',
  },
  ATTENDANCE_INCOMPLETE: {
    status: 422,
    message: 'Not enough sessions attended for completion.',
    when: "Completion was reported but the confirmed sessions fall short of the course's minimum attendance.",
    action: 'Record the missing attendance, or report NOT_COMPLETED.',
  },
  ASSIGNMENT_MISSING: {
    status: 422,
    message: 'The skills-demonstration task was not submitted.',
    when: 'Completion was reported for a course that requires the assignment, and none was submitted.',
    action: 'Submit the assignment first, or report NOT_COMPLETED.',
  },
  POST_TEST_FAILED: {
    status: 422,
    message: 'The post-test was not passed.',
    when: "Completion was reported but the post-test score is missing or below the course's pass score.",
    action: 'Record a passing score, or report NOT_COMPLETED.',
  },
  REDIRECT_URI_INVALID: {
    status: 400,
    message: 'The redirect URI is not acceptable.',
    when: 'It is not an absolute https URL (http only for localhost), or it has a fragment or credentials.',
    action: 'Register an https URL of your own service, without a #fragment.',
  },
  WEBHOOK_URL_INVALID: {
    status: 400,
    message: 'The webhook URL is not acceptable.',
    when: 'It is not an absolute https URL, or it has a fragment or credentials, or its host is not public: a loopback, private, link-local, metadata or other special-use address (in any spelling: decimal, octal or hex IPv4, IPv4-mapped IPv6, a trailing dot), a local name (`localhost`, `.internal`, `.local`, one label), or a name that resolves to such an address. `message` says which. Loopback and private hosts (and plain http to them) are accepted only by a development gateway started with `WEBHOOKS_ALLOW_PRIVATE=true` (npm start sets it).',
    action:
      'Give a public https URL of your own service. Deliveries check the address again where they connect: a name that later resolves inside is refused there.',
  },
  WEBHOOK_ENDPOINT_NOT_FOUND: {
    status: 404,
    message: 'No such webhook endpoint.',
    when: 'The id is unknown, or the endpoint belongs to another organisation.',
    action: 'List your endpoints with webhooks.list.',
  },
  WEBHOOK_ENDPOINT_LIMIT: {
    status: 409,
    message: 'Your organisation has as many webhook endpoints as it may.',
    when: 'Creating a 17th endpoint: one organisation may have 16.',
    action: 'Remove an endpoint you no longer use, or subscribe an existing one to more event types.',
  },
  PAYOUT_ACCOUNT_REFUSED: {
    status: 422,
    message: 'The payment provider refused this payout destination.',
    when: 'The payment provider answered the account update with an error (the message says which).',
    action: 'Check the bank code, account number or e-wallet number and send it again.',
  },
  PAYMENTS_UNAVAILABLE: {
    status: 503,
    message: 'The payment provider did not answer: retry shortly.',
    when: 'The payment provider failed or timed out on every retry while the request waited for it. Nothing was changed on our side.',
    action: 'Retry later with the same idempotency key.',
  },
  PAYMENTS_WEBHOOK_INVALID: {
    status: 400,
    message: 'The payment webhook was refused.',
    when: 'POST /payments/webhook without a valid `payments-signature` over the raw body (or with a timestamp more than 5 minutes off), or with a body that is not a payout event.',
    action: 'For the payment provider only: sign with the webhook secret shared with the gateway.',
  },
  SETTLEMENT_NOT_FOUND: {
    status: 404,
    message: 'No such settlement.',
    when: "The id is unknown, or the settlement is another organisation's.",
    action: 'List your settlements with settlements.list.',
  },
  SETTLEMENT_DATE_NOT_ENDED: {
    status: 409,
    message: 'That business day has not ended yet (WIB).',
    when: 'pmo.settlements.run was asked for today or a later day; a batch settles a whole day.',
    action: 'Run the batch for a day that has ended (the default is yesterday).',
  },
  SETTLEMENT_NOT_RETRYABLE: {
    status: 409,
    message: 'Only a FAILED settlement can be retried.',
    when: 'The settlement is PENDING, IN_TRANSIT or PAID.',
    action: 'Wait for it to finish; retry only a FAILED one (after its cause is fixed).',
  },
  INCENTIVE_NOT_FOUND: {
    status: 404,
    message: 'No such incentive.',
    when: 'The id is unknown.',
    action: 'List incentives with pmo.incentives.list.',
  },
  INCENTIVE_NOT_RETRYABLE: {
    status: 409,
    message: 'Only a FAILED incentive can be retried.',
    when: 'The incentive is WAITING, ELIGIBLE, DISBURSING or PAID.',
    action: 'Retry only a FAILED one (after its cause, such as a closed e-wallet, is fixed).',
  },
  ORGANISATION_NOT_FOUND: {
    status: 404,
    message: 'No such organisation.',
    when: 'The organisation id is unknown.',
    action: 'List organisations with pmo.organisations.list.',
  },
  ORGANISATION_SUSPENDED: {
    status: 403,
    message: 'Your organisation is suspended by the program office.',
    when: 'A suspended provider tried to redeem a voucher, or a suspended platform to sell a course. Suspended organisations keep read access and answer evidence requests; their settlements are held.',
    action:
      'Read the reason in your evidence requests or from the program office; do not retry until you are reinstated.',
  },
  ONBOARDING_CHECKLIST_INCOMPLETE: {
    status: 409,
    message: 'The due-diligence checklist is not complete.',
    when: 'pmo.organisations.approve on an applicant whose checklist still has unchecked items; the message lists them.',
    action: 'Check each item with pmo.organisations.checklist, then approve.',
  },
  CLIENT_NOT_FOUND: {
    status: 404,
    message: 'No such API client.',
    when: 'The client id is unknown.',
    action: "Read the organisation's clients with pmo.organisations.get.",
  },
  REDIRECT_URI_NOT_FOUND: {
    status: 404,
    message: 'The organisation has no such redirect URI.',
    when: 'pmo.organisations.removeRedirectUri with a URI the organisation has not registered (exact match).',
    action: "Read the organisation's redirect URIs with pmo.organisations.get.",
  },
  SIGNAL_NOT_FOUND: {
    status: 404,
    message: 'No such signal.',
    when: 'The signal id is unknown.',
    action: 'List signals with pmo.signals.list.',
  },
  CASE_NOT_FOUND: {
    status: 404,
    message: 'No such control case.',
    when: 'The case id is unknown.',
    action: 'List cases with pmo.cases.list.',
  },
  CASE_SUBJECT_NOT_FOUND: {
    status: 404,
    message: 'The case subject does not exist.',
    when: 'pmo.cases.open names an enrollment, course or provider that does not exist.',
    action: 'Check the subject id; a signal gives it in subjectType and subjectId.',
  },
  CASE_ALREADY_DECIDED: {
    status: 409,
    message: 'The case is decided; decisions are final.',
    when: 'Asking for evidence on, or deciding, a case that already has a decision.',
    action: 'Open a new case if there is new information.',
  },
  CASE_OUTCOME_NOT_APPLICABLE: {
    status: 409,
    message: "This outcome does not apply to the case's subject.",
    when: 'An enrollment outcome (VOID_COMPLETION, REVOKE_CERTIFICATE, HOLD_INCENTIVE, REVERSE_INCENTIVE, RELEASE_INCENTIVE, HOLD_SETTLEMENT_LINES, RELEASE_SETTLEMENT_LINES) on a case not about an enrollment without a selection, or on an enrollment it does not apply to (not COMPLETED, no valid certificate, no incentive, an incentive being paid, lines already settled, nothing to change because it is already held, released, cancelled or recorded for recovery, or not among the case’s enrollments: the message gives the code); SUSPEND_COURSE on a case about a provider as a whole; another outcome over a selection; or a selection none of whose enrollments it applies to.',
    action: 'Choose an outcome that fits the subject; the message says which apply.',
  },
  EVIDENCE_REQUEST_NOT_FOUND: {
    status: 404,
    message: 'No such evidence request.',
    when: "The id is unknown, or the request is another provider's.",
    action: 'List your evidence requests with provider.evidenceRequests.list.',
  },
  EVIDENCE_ALREADY_ANSWERED: {
    status: 409,
    message: 'This evidence request is already answered.',
    when: 'A second answer to the same request; answers are final once given.',
    action: 'Read the request to see the answer you gave; the PMO asks again if it needs more.',
  },
  STAFF_SIGN_IN_FAILED: {
    status: 401,
    message: 'Wrong e-mail or password.',
    when: 'Console sign-in with an unknown e-mail, a wrong password, or a disabled account (one answer for all, so accounts cannot be probed).',
    action:
      'Check the e-mail and password; after 5 wrong passwords in a row the account is locked for 15 minutes.',
  },
  STAFF_LOCKED: {
    status: 429,
    message: 'Too many wrong passwords: this account is locked for a while.',
    when: 'Console sign-in to an account locked after 5 wrong passwords in a row; Retry-After says for how long.',
    action: 'Wait until the lock ends, or ask an admin; every attempt is in the audit log.',
  },
  SESSION_INVALID: {
    status: 401,
    message: 'Your console session has ended. Sign in again.',
    when: 'A console request with a session cookie that is unknown, expired or signed out.',
    action: 'Sign in again.',
  },
  CSRF_INVALID: {
    status: 403,
    message: 'The request lacks a valid X-CSRF-Token header.',
    when: 'A mutation made with a console session cookie but without the X-CSRF-Token its session was given (or with another).',
    action:
      'Send the csrfToken from sign-in (or GET /console/api/session) as X-CSRF-Token on every mutation.',
  },
  CONSOLE_SESSION_REQUIRED: {
    status: 403,
    message: 'Only a staff member signed in to the console may do this.',
    when: "A procedure that manages people's console accounts or the organisation's API credentials (`provider.staff.*`, `provider.credentials.*`) was called with an API client's token, or by a staff member who is not their organisation's admin. A leaked client secret must not be able to mint itself accounts or new secrets.",
    action: "Ask your organisation's console admin to do it in the console (Staf, Kredensial API).",
  },
  STAFF_NOT_FOUND: {
    status: 404,
    message: 'No such staff account in your organisation.',
    when: 'The staff id is unknown, or belongs to another organisation.',
    action: 'List your staff with provider.staff.list.',
  },
  STAFF_EMAIL_TAKEN: {
    status: 409,
    message: 'This e-mail already has a console account.',
    when: 'A new staff account for an e-mail that already signs in to the console (in any organisation: one e-mail, one account).',
    action: "Use another e-mail, or ask the account's organisation to disable it first.",
  },
  LAST_ADMIN: {
    status: 409,
    message: 'Your organisation must keep at least one active admin.',
    when: "Disabling, or changing the role of, the organisation's last active admin account.",
    action: 'Make another staff member admin first.',
  },
  WEBHOOK_DELIVERY_NOT_FOUND: {
    status: 404,
    message: 'No such webhook delivery.',
    when: 'The id is unknown, or the delivery belongs to another organisation.',
    action: 'List deliveries with webhooks.deliveries.',
  },
  WEBHOOK_EVENT_ARCHIVED: {
    status: 410,
    message: "This delivery's event was archived: it can no longer be sent.",
    when: 'A replay of a delivery whose event is in a month the program has archived (events are kept at least 12 months; see the feed retention in docs/operations.md).',
    action: 'Read the current state of the entity the event was about (its id is in the delivery) instead.',
  },
  EVENTS_CURSOR_EXPIRED: {
    status: 410,
    message: 'The events before this cursor were archived: the feed cannot go on from it without a gap.',
    when: 'events.list with a cursor at or before the last event of a month the program archived (the feed keeps at least the last 12 months). Without a cursor the feed starts at the oldest event kept.',
    action:
      'Resync: read the current state of what you follow through the lists, then follow events.list again from its start (no cursor). Poll at least monthly so that your cursor stays within the retention.',
  },
  REDIRECT_URI_NOT_REGISTERED: {
    status: 400,
    message: 'The redirect URI is not one you registered.',
    when: 'verificationLink was asked to send the participant to a URI that does not exactly match a registered one.',
    action:
      'Register it with provider.redirectUris.register, or send one you registered, character for character.',
  },
  CERTIFICATE_NOT_FOUND: {
    status: 404,
    message: 'No certificate has this number.',
    when: 'The number was never issued (or, for a provider, was issued by another provider).',
    action: 'Check the number as printed on the certificate.',
  },
  CERTIFICATE_ALREADY_REVOKED: {
    status: 409,
    message: 'The certificate is already revoked.',
    when: 'A revocation was asked for a certificate revoked before.',
    action: 'Nothing to do; public.certificates.verify shows the first revocation and its reason.',
  },
  PASSPORT_EMPTY: {
    status: 409,
    message: 'The participant has no certificate to put in a passport.',
    when: 'platform.passport.create for a participant none of whose trainings on vouchers you sold has a valid certificate (none completed yet, or every certificate revoked); with their consent, none of their trainings at all. platform.passport.requestConsent for a participant with no valid certificate at all: no code is sent, and the request does not count toward the hourly limit.',
    action: 'Ask again once a training they bought through you is completed and its certificate issued.',
  },
  STATUS_LIST_NOT_FOUND: {
    status: 404,
    message: 'No revocation status list has this number.',
    when: 'The list number is one no certificate points at (lists are numbered from 1; each holds 131 072 certificates).',
    action: 'Use the statusListCredential URL in a certificate’s credentialStatus, as it is.',
  },
  ENROLLMENT_NOT_COMPLETED: {
    status: 409,
    message: 'The training is not completed.',
    when: 'A review was submitted for a voucher whose enrollment has not been reported COMPLETED.',
    action: 'Ask for the review once the voucher is COMPLETED.',
  },
  REVIEW_ALREADY_SUBMITTED: {
    status: 409,
    message: 'This enrollment already has its review.',
    when: 'A second review was submitted for the same completed enrollment.',
    action: 'One review per completed enrollment; it cannot be replaced.',
  },
  SURVEY_NOT_FOUND: {
    status: 404,
    message: 'No such survey.',
    when: 'The survey id is unknown, or (to a platform) the survey belongs to another scheme than the participant named by the voucher.',
    action: 'Use an id from platform.surveys.open (platforms) or pmo.surveys.list (PMO).',
  },
  SURVEY_NOT_OPEN: {
    status: 409,
    message: 'The survey is not open for answers.',
    when: 'An answer arrived before the survey opens (`opensAt`), after it closes (`closesAt`), or after the PMO closed it. `message` says which.',
    action: 'Offer surveys listed by platform.surveys.open; they are open at the time of the call.',
  },
  SURVEY_NOT_IN_AUDIENCE: {
    status: 403,
    message: 'The participant is not in this survey’s audience.',
    when: 'The participant named by the voucher is not ACTIVE, has no training completed on a voucher you sold, or is outside the survey’s cohort range.',
    action: 'Offer only the surveys platform.surveys.open lists for that voucher.',
  },
  SURVEY_CONSENT_REQUIRED: {
    status: 422,
    message: 'The participant’s consent is required.',
    when: '`consent` was not `true`. Nothing is recorded.',
    action:
      'Ask the participant for consent (taking part, use of the answers in aggregate statistics) and send `consent: true`.',
  },
  SURVEY_ANSWERS_INVALID: {
    status: 422,
    message: 'The answers do not fit the survey’s questions.',
    when: 'A question is unanswered or answered twice, an answer names no question of the survey, a single-choice answer has no `optionId` of the question (or has a `score`), or a scale answer has no `score` (or has an `optionId`). `field` names the answer.',
    action: 'Send exactly one answer per question, shaped as its `kind` says.',
  },
  SURVEY_ALREADY_ANSWERED: {
    status: 409,
    message: 'The participant has already answered this survey.',
    when: 'A second answer to the same survey by the same participant (through any platform). The first answer and its incentive stand; nothing is recorded or paid again.',
    action:
      'Nothing to do: the first answer counts. (A retry of the same request with its Idempotency-Key replays the first response.)',
  },
  REGION_UNKNOWN: {
    status: 422,
    message: 'Not an official province or regency/city code.',
    when: 'A community was asked for a `regionCode` that is neither a province (32) nor a regency/city (32.73) of the reference list.',
    action:
      'Use a code from `GET /v1/public/regions` (provinces) or `GET /v1/public/regions?provinceCode=…` (regencies).',
  },
  COMMUNITY_REGION_TAKEN: {
    status: 409,
    message: 'This region already has its community.',
    when: '`pmo.communities.create` for a province or regency/city that already has a community (one per region).',
    action: 'Use the existing community (`pmo.communities.list` with the `provinceCode`).',
  },
  COMMUNITY_NOT_ALUMNUS: {
    status: 409,
    message: 'Only a participant who completed a course may join an alumni community.',
    when: '`platform.communities.join` for a participant none of whose vouchers you sold is COMPLETED (what they completed through other platforms is not yours to vouch for).',
    action:
      'Offer the community once the training bought through you is completed (`alumnus` in `platform.communities.forParticipant`).',
  },
  COMMUNITY_OUTSIDE_REGION: {
    status: 422,
    message: "This community is not of the participant's province or regency/city.",
    when: "`platform.communities.join` for a community of another region than the participant's registered regency/city or its province.",
    action: 'Offer the communities `platform.communities.forParticipant` lists.',
  },
  COMMUNITY_ALREADY_MEMBER: {
    status: 409,
    message: 'The participant is already a member of this community.',
    when: '`platform.communities.join` for a participant who joined it before and has not left.',
    action: 'Nothing to do (`platform.communities.forParticipant` shows the membership).',
  },
  COMMUNITY_NOT_MEMBER: {
    status: 409,
    message: 'The participant is not a member of this community.',
    when: '`platform.communities.leave`, `pmo.communities.appointCaptain` or `pmo.communities.removeCaptain` for a participant who is not (or no longer) a member of it (`message` says which).',
    action:
      'Leaders are appointed among members: the participant joins through their platform first. Leaving or removing a leader who is not a member: nothing to do.',
  },
  COMMUNITY_ALREADY_CAPTAIN: {
    status: 409,
    message: 'The participant already leads this community.',
    when: '`pmo.communities.appointCaptain` for a member who is already one of its kapten.',
    action: 'Nothing to do.',
  },
  COMMUNITY_NOT_CAPTAIN: {
    status: 409,
    message: 'The participant does not lead this community.',
    when: '`pmo.communities.removeCaptain` for a participant who is not one of its kapten.',
    action: 'Read the leaders with `pmo.communities.get`.',
  },
  INTERNAL_ERROR: {
    status: 500,
    message: 'Something went wrong on our side. Quote the request id.',
    when: 'An unexpected failure. Nothing was written (the transaction rolled back), and the idempotency key was released.',
    action: 'Retry with the same key; if it persists, report the `requestId`.',
  },
  TEST_CLOCK_DISABLED: {
    status: 403,
    message: 'This gateway has no test clock: its time is the real time.',
    when: 'A `sandbox.clock.*` call on a gateway that runs without the test clock (production always; elsewhere when `TEST_CLOCK=false`).',
    action: 'Use a sandbox (any gateway started outside production, e.g. `npm start`) to move time.',
  },
  TEST_CLOCK_BACKWARDS: {
    status: 422,
    message: 'The sandbox clock only moves forward.',
    when: "`sandbox.clock.advance` was given an instant at or before the clock's current time, or a number of seconds that is not positive.",
    action: 'Read `sandbox.clock.get` and give a later `to`, or positive `seconds`.',
  },
  SANDBOX_DISABLED: {
    status: 403,
    message: 'This gateway is not a sandbox: test codes and their reset exist only outside production.',
    when: "`sandbox.testCodes.issue` or the protocol's `payment/redeem-code/reset` on a gateway started in production (or with `INTEGRATION_SANDBOX=false`).",
    action: 'Use a sandbox (any gateway started outside production, e.g. `npm start`) for test codes.',
  },
  NOT_A_TEST_CODE: {
    status: 409,
    message:
      'Only a test code can be reset, and only while its enrollment is still in training with nothing hanging on it.',
    when: '`payment/redeem-code/reset` for a code not issued by `sandbox.testCodes.issue`, or whose enrollment was completed, reviewed or named by a signal or a case.',
    action: 'Issue fresh test codes with `sandbox.testCodes.issue`.',
  },
  INTEGRATION_KEY_NOT_FOUND: {
    status: 404,
    message: 'No such integration sign key.',
    when: 'The key id is unknown.',
    action: "Read the provider's keys with pmo.integration.get.",
  },
  INTEGRATION_HEADERS_MISSING: {
    status: 401,
    message: 'The request lacks the client_code, timestamp or signature header.',
    when: 'A call to `/api/v1/integration/*` without one of its three headers (names in any case). A proxy in front of the gateway may drop header names with underscores: see docs/operations.md.',
    action: 'Send `client_code`, `timestamp` (Unix seconds) and `signature` on every call.',
  },
  INTEGRATION_CLIENT_UNKNOWN: {
    status: 401,
    message: 'No active integration credentials for this client_code.',
    when: 'The client_code was never issued, or all of its sign keys are revoked or expired.',
    action: 'Ask the program office for integration credentials (pmo.integration.issue).',
  },
  INTEGRATION_TIMESTAMP_OUT_OF_RANGE: {
    status: 401,
    message: "The timestamp header is not within 5 minutes of the gateway's time.",
    when: "The `timestamp` header is not Unix seconds as decimal text, or is more than 300 seconds before or after the gateway's clock (the real time, never a sandbox's test clock).",
    action: "Sign every request anew with the current time; keep the server's clock synchronised (NTP).",
  },
  INTEGRATION_SIGNATURE_INVALID: {
    status: 401,
    message: 'The signature does not match.',
    when: 'The `signature` header is not the lowercase hex HMAC-SHA1, with a live sign key of the client_code, of `client_code + timestamp + "POST" + path + body` (body: the bytes sent, or their compact JSON).',
    action:
      'Sign the path without host or query (`/api/v1/integration/…`) and the exact body you send; see docs/guides/prakerja-compatible.md for the worked example.',
  },
  ASSIGNMENT_NOT_SUBMITTED: {
    status: 409,
    message: 'No submission to review for this task.',
    when: 'Feedback for a task (scope and sequence) that has not been submitted.',
    action: 'Submit the task first (provider.delivery.submitAssignment, or tpm/submission).',
  },
  BALANCE_CHECKS_TOO_MANY: {
    status: 429,
    message: 'This card had too many balance checks in the last hour: try again later.',
    when: "`platform.balanceChecks.start` for a card number that had 3 checks started in the last 60 minutes (by any platform), whether or not it is a participant's: the participant's phone is not flooded with codes, and the answer says nothing about the card.",
    action:
      'Ask the participant to use the code they already received, or start another check after `Retry-After` seconds (when the oldest of the hour’s three leaves the window).',
  },
  PASSPORT_CONSENTS_TOO_MANY: {
    status: 429,
    message: 'This participant was asked for passport consent too often in the last hour: try again later.',
    when: '`platform.passport.requestConsent` for a participant asked 3 times in the last 60 minutes (by any platform): their phone is not flooded with codes. `Retry-After` says in how many seconds the oldest of those requests leaves the hour.',
    action: 'Ask the participant to use the code they already received, or wait `Retry-After` seconds.',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests: retry after the number of seconds in Retry-After.',
    when: 'A rate limit is spent: requests per client (REST and tRPC share one budget; a tRPC batch counts one per call), requests per address without a valid token, token requests per client id and per address, failed token requests per client id and address (once spent, the right secret is refused too until the window ends), failed console sign-ins per address. Nothing ran. `Retry-After` says when to retry; every limited answer also carries `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds) and `RateLimit-Policy`. On `POST /v1/oauth/token` the answer is in OAuth\'s shape: `{"error": "rate_limited", "error_description", "requestId"}`.',
    action:
      'Wait `Retry-After` seconds, then retry (with the same `Idempotency-Key` for a POST). Pace yourself with `RateLimit-Remaining` and `RateLimit-Reset`; cache your access token for its 15 minutes instead of asking for one per call; ask the program office for a higher limit if your volume needs it.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    message: 'The service is not ready: retry shortly.',
    when: 'The gateway is not ready (database unreachable, migrations not current, no signing key active), or the database went away during the request (a restart or a failover). The token endpoint answers the latter as OAuth `temporarily_unavailable`, also with 503.',
    action:
      'Retry after `Retry-After` (with the same `Idempotency-Key` for a POST: if the write was done before the database went away, the retry answers it instead of doing it twice).',
  },
} as const satisfies Record<string, { status: number; message: string; when: string; action: string }>;

export type TErrorCode = keyof typeof ERROR_CATALOG;
export const ERROR_CODES = Object.keys(ERROR_CATALOG) as TErrorCode[];

/** Codes a client may safely retry with the same idempotency key. */
export const RETRYABLE_ERROR_CODES: ReadonlySet<TErrorCode> = new Set<TErrorCode>([
  'IDEMPOTENCY_IN_PROGRESS',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
  'PAYMENTS_UNAVAILABLE',
  'RATE_LIMITED',
]);

export function isErrorCode(value: unknown): value is TErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOG, value);
}

/**
 * Codes the SDK raises itself: no gateway answer carries them, but a `LatihError` may, so they are
 * documented with the rest (docs/errors.md, `/v1/public/error-codes`, `/docs/errors/<CODE>`).
 * `status` is what `LatihError.status` holds: the token endpoint's answer, or none.
 */
export const CLIENT_ERROR_CATALOG = {
  CLIENT_AUTH_FAILED: {
    status: 401,
    message: 'The token endpoint refused the client id and secret.',
    when: "SDK only. `POST /v1/oauth/token` refused the client's credentials, so no call was made: `invalid_client` (401: wrong or revoked client id or secret), `unauthorized_client` (the organisation is not active), `invalid_scope` (a scope the client does not hold), or `rate_limited` (429). `LatihError.status` is the token endpoint's status, `requestId` its request id, and `cause` a `LatihAuthError` with the OAuth `error` and `error_description`.",
    action:
      'Check `clientId` and `clientSecret` (a rotated secret replaces the old one) and the `scope` you ask for; read `cause.error`. Retrying with the same credentials does not help, except after `rate_limited`.',
  },
  NETWORK_ERROR: {
    status: null,
    message: 'No answer came from the gateway.',
    when: 'SDK only. The request got no HTTP answer: the address is wrong, the gateway is down or unreachable, the connection was cut, or `fetch` threw (an aborted signal, a CORS refusal in a browser). The call may or may not have run.',
    action:
      'Retry with the same `Idempotency-Key` (the SDK keeps yours when you pass one): if the first attempt was done, the retry answers it instead of doing it twice. Check `baseUrl` if it persists.',
  },
} as const satisfies Record<string, { status: number | null; message: string; when: string; action: string }>;

export type TClientErrorCode = keyof typeof CLIENT_ERROR_CATALOG;
export const CLIENT_ERROR_CODES = Object.keys(CLIENT_ERROR_CATALOG) as TClientErrorCode[];

/**
 * Where a code is explained, one page per code (served by the gateway as HTML): the `docUrl` of
 * every error body, as Stripe's `doc_url`. A path on the gateway that answered, so it holds behind
 * any PUBLIC_URL, proxy or load balancer.
 */
export function errorDocUrl(code: TErrorCode | TClientErrorCode): string {
  return `/docs/errors/${code}`;
}

/** The JSON body of every error the gateway returns, over REST and (as `data`) over tRPC. */
export type TErrorBody = {
  code: TErrorCode;
  message: string;
  field?: string;
  requestId: string;
  retryable?: boolean;
  /** The code's page (`/docs/errors/<CODE>`). */
  docUrl?: string;
};

/** The one builder of error bodies: every transport (REST, tRPC's `data`, edge refusals) uses it. */
export function errorBody(e: {
  code: TErrorCode;
  message?: string | undefined;
  field?: string | undefined;
  requestId: string;
}): Required<Pick<TErrorBody, 'retryable' | 'docUrl'>> & TErrorBody {
  return {
    code: e.code,
    message: e.message ?? ERROR_CATALOG[e.code].message,
    ...(e.field ? { field: e.field } : {}),
    requestId: e.requestId,
    retryable: RETRYABLE_ERROR_CODES.has(e.code),
    docUrl: errorDocUrl(e.code),
  };
}

/**
 * Thrown by domain code; mapped to a transport status once, in the API's error formatter.
 * `field` is the dotted path of the offending input field, when there is one.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: TErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  /**
   * The refusal has effects that must persist (a wrong one-time code still counts as an attempt):
   * transactions commit before it is thrown on. See core's `withCommittedRefusals`.
   */
  readonly commit: boolean;

  constructor(
    code: TErrorCode,
    opts: { message?: string; field?: string; cause?: unknown; commit?: boolean } = {},
  ) {
    super(opts.message ?? ERROR_CATALOG[code].message, { cause: opts.cause });
    this.code = code;
    this.status = ERROR_CATALOG[code].status;
    this.field = opts.field;
    this.commit = opts.commit ?? false;
  }
}
