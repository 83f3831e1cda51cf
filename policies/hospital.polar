# Hospital: access to patient records that depends on the time of the request.
#
# Base relations (facts stream in); every time is in unix seconds:
#   visit(d, p, t)                   doctor d sees (or saw) patient p at time t
#   grant(d, role, p, expires)       d holds `role` on p until `expires` (exclusive)
#   admitted(p, w)                   patient p lies in ward w
#   on_call(d, w, start, end)        d is on call for ward w from `start` (inclusive)
#                                    to `end` (exclusive)
#   restricted(p)                    p's records are closed to on-call doctors
#   has_role(d, role, p)             a permanent role
#
# Windows around a visit at time t, for a request at time T:
#   attending   t <= T < t + 7 days       (read and write)
#   consultant  t - 2 days <= T <= t      (read, to prepare the visit)

actor Doctor {}

resource Ward {}

resource Patient {
  roles = ["consultant", "attending"];
  permissions = ["read", "write"];

  # attending doctors are also consultants
  "consultant" if "attending";
  # consultants read the records
  "read" if "consultant";
  # attending doctors write the records
  "write" if "attending";
}

declare visit(Doctor, Patient, Integer);
declare grant(Doctor, String, Patient, Integer);
declare admitted(Patient, Ward);
declare on_call(Doctor, Ward, Integer, Integer);
declare restricted(Patient);

# a doctor attends a patient they visited in the last 7 days (604800 s)
has_role(d: Doctor, "attending", p: Patient) if
  visit(d, p, t) and t <= @current_unix_time and t + 604800 > @current_unix_time;

# a doctor consults on a patient they will visit in the next 2 days (172800 s)
has_role(d: Doctor, "consultant", p: Patient) if
  visit(d, p, t) and t >= @current_unix_time and t - 172800 <= @current_unix_time;

# a granted role holds until the grant expires
has_role(d: Doctor, role, p: Patient) if
  grant(d, role, p, expires) and expires > @current_unix_time;

# during an on-call shift a doctor reads the records of every patient of the
# ward, except restricted ones
has_permission(d: Doctor, "read", p: Patient) if
  on_call(d, w, start, end) and
  start <= @current_unix_time and @current_unix_time < end and
  admitted(p, w) and not restricted(p);

# the entry point: an actor may do what they have permission to do
allow(actor, action, resource) if has_permission(actor, action, resource);

# A visit at 1700000000: the consultant window opens at 1699827200, the
# attending window closes at 1700604800.

test "long before a visit: no access" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1699827199;
  assert_not allow(Doctor{"house"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"house"}, "write", Patient{"p1"});
}

test "two days before a visit: consultant (window opens)" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1699827200;
  assert has_role(Doctor{"house"}, "consultant", Patient{"p1"});
  assert allow(Doctor{"house"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"house"}, "write", Patient{"p1"});
}

test "one second before a visit: still only consultant" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1699999999;
  assert allow(Doctor{"house"}, "read", Patient{"p1"});
  assert_not has_role(Doctor{"house"}, "attending", Patient{"p1"});
  assert_not allow(Doctor{"house"}, "write", Patient{"p1"});
}

test "at the visit: consultant and attending" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1700000000;
  assert has_role(Doctor{"house"}, "attending", Patient{"p1"});
  assert allow(Doctor{"house"}, "read", Patient{"p1"});
  assert allow(Doctor{"house"}, "write", Patient{"p1"});
  # other patients and doctors are unaffected
  assert_not allow(Doctor{"house"}, "read", Patient{"p2"});
  assert_not allow(Doctor{"wilson"}, "read", Patient{"p1"});
}

test "last second of the week after a visit: attending" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1700604799;
  assert allow(Doctor{"house"}, "write", Patient{"p1"});
  assert has_role(Doctor{"house"}, "attending", Patient{"p1"});
  # the visit is past, but consultant is still implied by attending
  assert has_role(Doctor{"house"}, "consultant", Patient{"p1"});
  assert allow(Doctor{"house"}, "read", Patient{"p1"});
}

test "a week after a visit: access is gone" {
  setup { visit(Doctor{"house"}, Patient{"p1"}, 1700000000); }
  at 1700604800;
  assert_not allow(Doctor{"house"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"house"}, "write", Patient{"p1"});
}

test "a later visit reopens access" {
  setup {
    visit(Doctor{"house"}, Patient{"p1"}, 1700000000);
    visit(Doctor{"house"}, Patient{"p1"}, 1701000000);
  }
  at 1700900000;
  # the first week is over, the second visit is 100000 s away
  assert allow(Doctor{"house"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"house"}, "write", Patient{"p1"});
}

test "a grant holds before its expiry" {
  setup {
    grant(Doctor{"cuddy"}, "attending", Patient{"p1"}, 1700100000);
    has_role(Doctor{"foreman"}, "consultant", Patient{"p1"});
  }
  at 1700099999;
  assert allow(Doctor{"cuddy"}, "write", Patient{"p1"});
  assert allow(Doctor{"cuddy"}, "read", Patient{"p1"});
  # a permanent role does not expire
  assert allow(Doctor{"foreman"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"foreman"}, "write", Patient{"p1"});
}

test "a grant ends at its expiry" {
  setup {
    grant(Doctor{"cuddy"}, "attending", Patient{"p1"}, 1700100000);
    has_role(Doctor{"foreman"}, "consultant", Patient{"p1"});
  }
  at 1700100000;
  assert_not allow(Doctor{"cuddy"}, "write", Patient{"p1"});
  assert_not allow(Doctor{"cuddy"}, "read", Patient{"p1"});
  assert allow(Doctor{"foreman"}, "read", Patient{"p1"});
}

test "before an on-call shift" {
  setup {
    on_call(Doctor{"chase"}, Ward{"icu"}, 1700000000, 1700043200);
    admitted(Patient{"p1"}, Ward{"icu"});
    admitted(Patient{"p2"}, Ward{"icu"});
    restricted(Patient{"p2"});
  }
  at 1699999999;
  assert_not allow(Doctor{"chase"}, "read", Patient{"p1"});
}

test "when an on-call shift starts" {
  setup {
    on_call(Doctor{"chase"}, Ward{"icu"}, 1700000000, 1700043200);
    admitted(Patient{"p1"}, Ward{"icu"});
    admitted(Patient{"p2"}, Ward{"icu"});
    admitted(Patient{"p3"}, Ward{"er"});
    restricted(Patient{"p2"});
  }
  at 1700000000;
  assert allow(Doctor{"chase"}, "read", Patient{"p1"});
  assert_not allow(Doctor{"chase"}, "write", Patient{"p1"});
  # restricted patients and other wards stay closed
  assert_not allow(Doctor{"chase"}, "read", Patient{"p2"});
  assert_not allow(Doctor{"chase"}, "read", Patient{"p3"});
}

test "in the last second of an on-call shift" {
  setup {
    on_call(Doctor{"chase"}, Ward{"icu"}, 1700000000, 1700043200);
    admitted(Patient{"p1"}, Ward{"icu"});
  }
  at 1700043199;
  assert allow(Doctor{"chase"}, "read", Patient{"p1"});
}

test "when an on-call shift ends" {
  setup {
    on_call(Doctor{"chase"}, Ward{"icu"}, 1700000000, 1700043200);
    admitted(Patient{"p1"}, Ward{"icu"});
  }
  at 1700043200;
  assert_not allow(Doctor{"chase"}, "read", Patient{"p1"});
}
