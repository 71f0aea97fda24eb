using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1009: at a merge point inside the body a lock is held on some incoming paths only; reported on the acquire.
/// After it the lock is "maybe held": no further diagnostic for releasing it or exiting with it.
/// </summary>
public sealed class HeldOnSomePathsTests
{
    [Fact]
    public Task ConditionalAcquireThenUnconditionalRelease() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool quick)
            {
                if (!quick)
                    [|_m.Lock()|];
                _m.Unlock();
            }
        }
        """, "DRV1009", messageContains: "_m");

    [Fact]
    public Task ConditionalAcquireLeftAtTheExitIsNotACascade() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool quick)
            {
                if (!quick)
                    [|_m.Lock()|];
                Console.WriteLine(quick);
            }
        }
        """, "DRV1009");

    [Fact]
    public Task SameConditionTwiceIsStillAMismatch() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start(bool locked)
            {
                if (locked)
                    [|_m.Lock()|];
                Console.WriteLine(locked);
                if (locked)
                    _m.Unlock();
            }
        }
        """, "DRV1009");

    [Fact]
    public Task BothBranchesBalanced() => Verifier.VerifyAsync("""
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
    public Task UnbalancedLoopBody() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Spin(Func<bool> more)
            {
                while (more())
                {
                    [|_m.Lock()|];
                }
            }
        }
        """, "DRV1009");

    [Fact]
    public Task LoopReleasingALockTakenBeforeIt() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Drain(int n)
            {
                [|_m.Lock()|];
                for (var i = 0; i < n; i++)
                {
                    _m.Unlock();
                }
            }
        }
        """, "DRV1009");

    [Fact]
    public Task SwitchWithOneCaseMissingTheRelease() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            public int Ioctl(int cmd)
            {
                [|_m.Lock()|];
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
                return 0;
            }
        }
        """, "DRV1009");

    [Fact]
    public Task GotoLadderJumpingPastARelease() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _config = new Mutex();
            private readonly SpinLock _irq = new SpinLock();

            public int Probe(int a, int b)
            {
                _config.Lock();
                if (a != 0)
                    goto err_unlock_config;
                [|_irq.Lock()|];
                if (b != 0)
                    goto err_unlock_config;
                _irq.Unlock();
                _config.Unlock();
                return 0;

            err_unlock_config:
                _config.Unlock();
                return -1;
            }
        }
        """, "DRV1009");

    [Fact]
    public Task CompoundTryLockConditionMergesBeforeTheRelease() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Touch(bool flag)
            {
                if (flag && [|_m.TryLock()|])
                    Console.WriteLine(flag);
                _m.Unlock();
            }
        }
        """, "DRV1009");
}
