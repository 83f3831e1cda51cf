# Org chart: who may read, comment on and write performance reviews.
#
# Base relations (facts stream in):
#   manager(m, e)       m is the direct manager of e
#   review_of(r, e)     r is a performance review of employee e
#   member_of(u, d)     u works in department d
#   administers(h, d)   HR department h administers department d
#
# Managers comment on (and so read) the reviews of all their direct and
# indirect reports, and write those of their direct reports; employees read
# their own reviews; the members of an HR department read every review of the
# employees of each department it administers.

actor User {}

resource Review {
  permissions = ["read", "comment", "write"];
  # whoever may comment on a review may also read it
  "read" if "comment";
  # whoever may write a review may also comment on it
  "comment" if "write";
}

resource Department {
  permissions = ["view"];
}

declare manager(User, User);
declare review_of(Review, User);
declare member_of(User, Department);
declare administers(Department, Department);

# m manages e if m is e's direct manager
manages(m: User, e: User) if manager(m, e);
# m manages e if m is the direct manager of someone who manages e (any depth)
manages(m: User, e: User) if manager(m, x) and manages(x, e);

# the direct manager of an employee writes that employee's reviews
# (nobody writes their own review, even if listed as their own manager)
has_permission(m: User, "write", r: Review) if
  review_of(r, e) and manager(m, e) and m != e;

# everyone above an employee in the chain comments on the employee's reviews;
# with a cycle in the chain a user "manages" themself, but still does not
# comment on their own review
has_permission(m: User, "comment", r: Review) if
  review_of(r, e) and manages(m, e) and m != e;

# an employee reads their own reviews
has_permission(e: User, "read", r: Review) if review_of(r, e);

# a member of an HR department reads the reviews of the employees of every
# department that the HR department administers
has_permission(h: User, "read", r: Review) if
  review_of(r, e) and member_of(e, d) and administers(hr, d) and member_of(h, hr);

# a department is viewed by its own members, and by the members of an HR
# department that administers it
has_permission(u: User, "view", d: Department) if
  member_of(u, d) or (administers(hr, d) and member_of(u, hr));

# the entry point: an actor may do what they have permission to do
allow(actor, action, resource) if has_permission(actor, action, resource);

test "managers read reviews of direct and indirect reports" {
  setup {
    manager(User{"ceo"}, User{"vp"});
    manager(User{"vp"}, User{"lead"});
    manager(User{"lead"}, User{"eng"});
    review_of(Review{"eng-2024"}, User{"eng"});
    review_of(Review{"vp-2024"}, User{"vp"});
  }
  assert manages(User{"ceo"}, User{"eng"});
  assert_not manages(User{"eng"}, User{"ceo"});
  assert allow(User{"ceo"}, "read", Review{"eng-2024"});
  assert allow(User{"ceo"}, "comment", Review{"eng-2024"});
  assert allow(User{"vp"}, "comment", Review{"eng-2024"});
  # only the direct manager writes
  assert allow(User{"lead"}, "write", Review{"eng-2024"});
  assert_not allow(User{"ceo"}, "write", Review{"eng-2024"});
  assert allow(User{"ceo"}, "write", Review{"vp-2024"});
  # reports do not see their managers' reviews
  assert_not allow(User{"eng"}, "read", Review{"vp-2024"});
  assert_not allow(User{"lead"}, "read", Review{"vp-2024"});
}

test "employees read but do not comment on their own review" {
  setup {
    manager(User{"lead"}, User{"eng"});
    review_of(Review{"eng-2024"}, User{"eng"});
  }
  assert allow(User{"eng"}, "read", Review{"eng-2024"});
  assert_not allow(User{"eng"}, "comment", Review{"eng-2024"});
  assert_not allow(User{"eng"}, "write", Review{"eng-2024"});
  # an unrelated user sees nothing
  assert_not allow(User{"stranger"}, "read", Review{"eng-2024"});
}

test "peers do not read each other's reviews" {
  setup {
    manager(User{"lead"}, User{"ann"});
    manager(User{"lead"}, User{"bob"});
    review_of(Review{"ann-2024"}, User{"ann"});
    review_of(Review{"bob-2024"}, User{"bob"});
  }
  assert allow(User{"lead"}, "read", Review{"ann-2024"});
  assert allow(User{"lead"}, "read", Review{"bob-2024"});
  assert_not allow(User{"ann"}, "read", Review{"bob-2024"});
  assert_not allow(User{"bob"}, "read", Review{"ann-2024"});
}

test "a cycle in the manager chain terminates" {
  setup {
    # a -> b -> c -> a
    manager(User{"a"}, User{"b"});
    manager(User{"b"}, User{"c"});
    manager(User{"c"}, User{"a"});
    review_of(Review{"ra"}, User{"a"});
    # s is listed as their own manager
    manager(User{"s"}, User{"s"});
    review_of(Review{"rs"}, User{"s"});
  }
  assert manages(User{"a"}, User{"a"});
  assert manages(User{"b"}, User{"a"});
  assert manages(User{"s"}, User{"s"});
  assert allow(User{"b"}, "comment", Review{"ra"});
  assert allow(User{"c"}, "write", Review{"ra"});
  assert_not allow(User{"b"}, "write", Review{"ra"});
  # nobody comments on or writes their own review, cycle or not
  assert allow(User{"a"}, "read", Review{"ra"});
  assert_not allow(User{"a"}, "comment", Review{"ra"});
  assert_not allow(User{"s"}, "write", Review{"rs"});
  assert_not allow(User{"s"}, "comment", Review{"rs"});
  assert allow(User{"s"}, "read", Review{"rs"});
  assert_not manages(User{"a"}, User{"s"});
}

test "HR reads the reviews of the departments it administers" {
  setup {
    administers(Department{"hr"}, Department{"eng"});
    member_of(User{"henry"}, Department{"hr"});
    member_of(User{"erin"}, Department{"eng"});
    member_of(User{"sam"}, Department{"sales"});
    review_of(Review{"erin-2024"}, User{"erin"});
    review_of(Review{"sam-2024"}, User{"sam"});
    review_of(Review{"henry-2024"}, User{"henry"});
  }
  assert allow(User{"henry"}, "read", Review{"erin-2024"});
  assert_not allow(User{"henry"}, "comment", Review{"erin-2024"});
  assert_not allow(User{"henry"}, "read", Review{"sam-2024"});
  # HR does not administer itself here, so its members' reviews stay private
  assert_not allow(User{"erin"}, "read", Review{"henry-2024"});
  assert allow(User{"henry"}, "view", Department{"eng"});
  assert allow(User{"henry"}, "view", Department{"hr"});
  assert_not allow(User{"henry"}, "view", Department{"sales"});
  assert allow(User{"erin"}, "view", Department{"eng"});
  assert_not allow(User{"erin"}, "view", Department{"hr"});
}
