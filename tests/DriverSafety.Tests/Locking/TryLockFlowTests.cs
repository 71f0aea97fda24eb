using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// SPEC §7.6: try-lock results through stored locals tested again later, negations, chains of negations, <c>?:</c>,
/// compound conditions, and a dropped result.
/// </summary>
public sealed class TryLockFlowTests
{
    [Fact]
    public Task A_stored_result_tested_again_in_a_later_branch_is_clean() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                bool ok = M.TryLock();
                if (ok)
                    Count++;
                Console.WriteLine(Ready);
                if (ok)
                    M.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_try_lock_that_succeeds_before_a_false_condition_leaks() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                if ({|#0:M.TryLock()|} && Ready)
                {
                    Count++;
                    M.Unlock();
                }
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task A_negated_local_flips_the_result() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                bool busy = M.TryLock();
                busy = !busy;
                if (busy)
                    return;
                Count++;
                M.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_chain_of_negations_and_copies_keeps_the_result() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                var failed = !M.TryLock();
                var ok = !failed;
                var again = !!ok;
                if (!again)
                    return;
                Count++;
                M.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_conditional_expression_merges_a_try_with_false() => Verify.Analyzer(Sources.Dev + """
            public void Poll(bool wanted)
            {
                var ok = wanted ? M.TryLock() : false;
                if (ok)
                {
                    Count++;
                    M.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task A_dropped_result_is_one_finding_then_the_lock_counts_as_held() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                {|#0:M.TryLock()|};
                Count++;
                M.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0)
            .WithMessage("Lock 'M' acquired here is still held where 'Poll' exits (its result is ignored: the lock is held only where it succeeded)"));

    [Fact]
    public Task A_dropped_result_that_is_never_released_is_still_one_finding() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                {|#0:M.TryLock()|};
                Count++;
            }
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0));
}
