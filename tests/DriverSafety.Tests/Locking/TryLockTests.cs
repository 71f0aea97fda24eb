using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>[TryAcquires]: both outcomes followed, directly in the condition, negated, compound, or through a stored result.</summary>
public sealed class TryLockTests
{
    private const string Dev = """
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

        """;

    private const string Gem = """
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;

        """;

    [Fact]
    public Task SuccessBranch() => Verify.Analyzer(Dev + """
            public void Touch()
            {
                if (_m.TryLock())
                {
                    _state++;
                    _m.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task FailureBranchDoesNotHoldTheLock() => Verify.Analyzer(Dev + """
            public void Touch()
            {
                if (_m.TryLock())
                {
                    _m.Unlock();
                }
                else
                {
                    {|DRV1001:_state|}++;
                }
            }
        }
        """);

    [Fact]
    public Task NegatedEarlyReturn() => Verify.Analyzer(Dev + """
            public int Touch()
            {
                if (!_m.TryLock())
                    return -11;
                _state++;
                _m.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task StoredResult() => Verify.Analyzer(Dev + """
            public void Touch()
            {
                bool ok = _m.TryLock();
                if (ok)
                {
                    _state++;
                    _m.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task StoredResultDoesNotCoverTheCodeAfterTheBranch() => Verify.Analyzer(Dev + """
            public void Touch()
            {
                bool ok = _m.TryLock();
                if (ok)
                {
                    _m.Unlock();
                }

                {|DRV1001:_state|}++;
            }
        }
        """);

    [Fact]
    public Task CompoundCondition() => Verify.Analyzer(Dev + """
            public void Touch(bool wanted)
            {
                if (wanted && _m.TryLock())
                {
                    _state++;
                    _m.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task NegatedCompoundCondition() => Verify.Analyzer(Dev + """
            public void Touch(bool skip)
            {
                if (skip || !_m.TryLock())
                    return;
                _state++;
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task WwLockStoredResultWithEarlyReturn() => Verify.Analyzer(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret != 0)
                    return ret;
                Pages++;
                Resv.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task WwLockEdeadlkBackoff() => Verify.Analyzer(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret == -Errno.EDEADLK)
                {
                    Resv.LockSlow(ctx);
                }
                else if (ret != 0)
                {
                    return ret;
                }

                Pages++;
                Resv.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task WwLockDirectComparison() => Verify.Analyzer(Gem + """
            public int Pin()
            {
                if (Resv.Lock(null) != 0)
                    return -Errno.EINVAL;
                Pages++;
                Resv.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task WwLockSuccessTestedWithEquality() => Verify.Analyzer(Gem + """
            public void Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret == 0)
                {
                    Pages++;
                    Resv.Unlock();
                }
            }
        }
        """);

    [Fact]
    public Task WwLockFailurePathTouchesTheObject() => Verify.Analyzer(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret != 0)
                {
                    {|DRV1001:Pages|} = 0;
                    return ret;
                }

                Pages++;
                Resv.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task WwLockUnlockOnTheFailurePath() => Verify.Analyzer(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret != 0)
                {
                    {|DRV1004:Resv.Unlock()|};
                    return ret;
                }

                Resv.Unlock();
                return 0;
            }
        }
        """);
}
