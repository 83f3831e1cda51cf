# expect: `x = @current_unix_time` cannot bind `x` (a tuple cannot hold the time;
# answers are precomputed for every time): one error at the comparison
actor Doctor {}
resource Patient {}

declare visit(Doctor, Patient, Integer);

seen_at(d: Doctor, x) if visit(d, _, _) and x = @current_unix_time;
