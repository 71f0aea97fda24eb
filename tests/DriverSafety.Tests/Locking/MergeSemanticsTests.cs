using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// SPEC §7.1–7.2, the way Clang's thread-safety tests are written: after a merge that differs the lock is not held;
/// a loop's back edge is compared with the loop's entry once; a lock held on some paths that reaches an exit
/// untouched is a leak (DRV1003), never DRV1009.
/// </summary>
public sealed class MergeSemanticsTests
{
    [Fact]
    public Task After_a_differing_merge_the_lock_is_not_held_so_the_release_is_DRV1004() => Verify.Analyzer(Sources.Dev + """
            public void Start(bool quick)
            {
                if ({|#1:quick|})
                    return;
                if ({|#2:Ready|})
                    {|#0:M.Lock()|};
                {|#3:M.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(2)
            .WithMessage("Lock 'M' acquired here is held on some paths reaching line 12 (not on the path through line 10) and not on others"),
        Verify.Diagnostic("DRV1004").WithLocation(3).WithLocation(0)
            .WithMessage("Releasing lock 'M' that is not held on every path (it is held on some paths only)"));

    [Fact]
    public Task After_a_differing_merge_a_guarded_access_is_DRV1001() => Verify.Analyzer(Sources.Dev + """
            public void Start()
            {
                if ({|#1:Ready|})
                    {|#0:M.Lock()|};
                {|#2:Count|} = 1;
                {|#3:M.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1001").WithLocation(2).WithLocation(0),
        Verify.Diagnostic("DRV1004").WithLocation(3).WithLocation(0));

    [Fact]
    public Task A_lock_released_on_some_paths_that_reaches_the_exit_untouched_is_a_leak() => Verify.Analyzer(Sources.Dev + """
            public void Start()
            {
                {|#0:M.Lock()|};
                if (Ready)
                    M.Unlock();
                Ready = false;
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1).WithMessage("Lock 'M' acquired here is still held where 'Start' exits (line 12)"));

    [Fact]
    public Task A_conditional_acquire_left_at_the_exit_is_a_leak_not_a_mismatch() => Verify.Analyzer(Sources.Dev + """
            public void Start()
            {
                if (Ready)
                    {|#0:M.Lock()|};
                Console.WriteLine(Ready);
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Releasing_in_a_while_loop_is_one_DRV1009_at_the_loop_and_a_leak_at_the_exit() => Verify.Analyzer(Sources.Dev + """
            public void Drain()
            {
                {|#0:M.Lock()|};
                while (Ready)
                    {|#1:M.Unlock();|}
            {|#2:}|}
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1)
            .WithMessage("Lock 'M' acquired here is held on some paths reaching line 9 (the loop's back edge from line 10 does not bring it) and not on others"),
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(2));

    [Fact]
    public Task Releasing_in_a_do_loop_is_one_DRV1009() => Verify.Analyzer(Sources.Dev + """
            public void Drain()
            {
                {|#0:M.Lock()|};
                do
                {
                    M.Unlock();
                }
                while ({|#1:Ready|});
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Acquiring_in_a_loop_without_release_is_one_DRV1009_not_a_cascade_of_DRV1005() => Verify.Analyzer(Sources.Dev + """
            public void Spin()
            {
                for (var i = 0; {|#1:i < 10|}; i++)
                {
                    {|#0:M.Lock()|};
                    Count++;
                }
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1)
            .WithMessage("Lock 'M' acquired here is held on some paths reaching line 8 (the loop's back edge from line 8 brings it held; the loop is entered without it) and not on others"));

    [Fact]
    public Task A_break_keeps_its_own_state() => Verify.Analyzer(Sources.Dev + """
            public void Poll()
            {
                while (true)
                {
                    M.Lock();
                    if (Ready)
                        break;
                    M.Unlock();
                }

                Count++;
                M.Unlock();
            }
        }
        """);

    [Fact]
    public Task A_lock_held_by_contract_and_released_on_some_paths_breaks_the_contract_at_the_exit() => Verify.Analyzer(Sources.Dev + """
            [Requires("M")]
            public void Maybe()
            {
                if (Ready)
                    M.Unlock();
                Ready = false;
            {|#0:}|}
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'Maybe' declares that it requires lock 'M', but it is not held again at this exit"));

    [Fact]
    public Task A_declared_acquire_held_on_some_paths_at_the_exit_breaks_the_contract_and_is_no_leak() => Verify.Analyzer(Sources.Dev + """
            [Acquires("M")]
            public void MaybeTake()
            {
                if (Ready)
                    M.Lock();
            {|#0:}|}
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'MaybeTake' declares that it acquires lock 'M', but it is not held at this exit"));

    [Fact]
    public Task A_lock_held_by_contract_released_on_some_paths_and_touched_is_DRV1009_at_the_release() => Verify.Analyzer(Sources.Dev + """
            [Requires("M")]
            public void Drop(bool early)
            {
                if (early)
                    {|#0:M.Unlock()|};
                {|#1:{|#2:Count|}++;|}
                M.Lock();
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1)
            .WithMessage("Lock 'M' released here is still held on some paths reaching line 11 (it is held by contract on the other paths) and not on others"),
        Verify.Diagnostic("DRV1001").WithLocation(2));
}

