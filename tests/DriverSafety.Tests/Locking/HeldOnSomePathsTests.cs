using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1009: at a merge point inside the body a lock is held on some incoming paths only; reported on the acquire.
/// After the merge the lock counts as not held (SPEC §7.1: a later release is DRV1004); a lock held on some paths
/// that reaches an exit untouched is a leak, DRV1003, not DRV1009 (§7.2).
/// </summary>
public sealed class HeldOnSomePathsTests
{
    [Fact]
    public Task ConditionalAcquireThenUnconditionalRelease() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool quick)
            {
                if (!{|#1:quick|})
                    {|#0:_m.Lock()|};
                {|#2:_m.Unlock()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1).WithMessage("Lock '_m' acquired here is held on some paths reaching line 9 (not on the path through line 7) and not on others"),
        Verify.Diagnostic("DRV1004").WithLocation(2).WithLocation(0).WithMessage("Releasing lock '_m' that is not held on every path (it is held on some paths only)"));

    [Fact]
    public Task ConditionalAcquireLeftAtTheExitIsALeakNotAMismatch() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool quick)
            {
                if (!quick)
                    {|#0:_m.Lock()|};
                Console.WriteLine(quick);
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SameConditionTwiceIsStillAMismatch() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool locked)
            {
                if ({|#1:locked|})
                    {|#0:_m.Lock()|};
                Console.WriteLine(locked);
                if (locked)
                    {|#2:_m.Unlock()|};
            }
        }
        """, Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1004").WithLocation(2).WithLocation(0));

    [Fact]
    public Task BothBranchesBalanced() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public void Start(bool quick)
            {
                if (quick)
                {
                    _m.Lock();
                    _state = 1;
                    _m.Unlock();
                }
                else
                {
                    _m.Lock();
                    _state = 2;
                    _m.Unlock();
                }

                Console.WriteLine(quick);
            }
        }
        """);

    [Fact]
    public Task UnbalancedLoopBody() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Spin(Func<bool> more)
            {
                while ({|#1:more()|})
                {
                    {|#0:_m.Lock()|};
                }
            }
        }
        """, Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1));

    [Fact]
    public Task LoopReleasingALockTakenBeforeIt() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Drain(int n)
            {
                {|#0:_m.Lock()|};
                for (var i = 0; i < n; {|#1:i++|})
                {
                    _m.Unlock();
                }
            {|#2:}|}
        }
        """,
        Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1).WithMessage("Lock '_m' acquired here is held on some paths reaching line 8 (the loop's back edge from line 8 does not bring it) and not on others"),
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(2));

    [Fact]
    public Task SwitchWithOneCaseMissingTheRelease() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Ioctl(int cmd)
            {
                {|#0:_m.Lock()|};
                switch (cmd)
                {
                    case 0:
                        _state = 0;
                        _m.Unlock();
                        break;
                    case 1:
                        _state = 1;
                        break;
                    default:
                        _m.Unlock();
                        break;
                }

                Console.WriteLine(cmd);
                {|#1:return 0;|}
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task GotoLadderJumpingPastARelease() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _config = new Mutex();
            private readonly SpinLock _irq = new SpinLock();

            public int Probe(int a, int b)
            {
                _config.Lock();
                if (a != 0)
                    goto err_unlock_config;
                {|#0:_irq.Lock()|};
                if (b != 0)
                    goto err_unlock_config;
                _irq.Unlock();
                _config.Unlock();
                return 0;

            err_unlock_config:
                _config.Unlock();
                {|#1:return -1;|}
            }
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task CompoundTryLockConditionMergesBeforeTheRelease() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Touch(bool flag)
            {
                if (flag && {|#0:_m.TryLock()|})
                    Console.WriteLine(flag);
                {|#1:{|#2:_m.Unlock()|};|}
            }
        }
        """, Verify.Diagnostic("DRV1009").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV1004").WithLocation(2).WithLocation(0));
}
