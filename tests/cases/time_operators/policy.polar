# @current_unix_time with every comparison operator, on either side, with
# `variable ± constant`, and a negation of a time-dependent predicate.

resource Event {}

# event(e, start, end): e runs from start (inclusive) to end (exclusive)
declare event(Event, Integer, Integer);
declare deadline(Event, Integer);

# e is running now
happening(e: Event) if event(e, s, f) and s <= @current_unix_time and @current_unix_time < f;
# e has not started yet
upcoming(e: Event) if event(e, s, _) and @current_unix_time < s;
# e has ended
over(e: Event) if event(e, _, f) and @current_unix_time >= f;
# e is not running now (negation of a time-dependent predicate)
idle(e: Event) if event(e, _, _) and not happening(e);
# e's deadline is this very second
due_now(e: Event) if deadline(e, d) and d = @current_unix_time;
# e's deadline is any other second
not_due_now(e: Event) if deadline(e, d) and @current_unix_time != d;
# e's deadline passed at most an hour ago
late(e: Event) if deadline(e, d) and d < @current_unix_time and @current_unix_time <= d + 3600;
# e's deadline is at most 59 seconds away
soon(e: Event) if deadline(e, d) and @current_unix_time > d - 60 and d >= @current_unix_time;

# every state in one relation, for compact queries: e has state "happening"
# when happening(e) holds
state(e: Event, "happening") if happening(e);
# e has state "upcoming" when upcoming(e) holds
state(e: Event, "upcoming") if upcoming(e);
# e has state "over" when over(e) holds
state(e: Event, "over") if over(e);
# e has state "idle" when idle(e) holds
state(e: Event, "idle") if idle(e);
# e has state "due_now" when due_now(e) holds
state(e: Event, "due_now") if due_now(e);
# e has state "not_due_now" when not_due_now(e) holds
state(e: Event, "not_due_now") if not_due_now(e);
# e has state "late" when late(e) holds
state(e: Event, "late") if late(e);
# e has state "soon" when soon(e) holds
state(e: Event, "soon") if soon(e);
