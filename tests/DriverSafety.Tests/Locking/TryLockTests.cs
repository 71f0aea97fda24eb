using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

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
    public Task SuccessBranch() => Verifier.VerifyAsync(Dev + """
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
    public Task FailureBranchDoesNotHoldTheLock() => Verifier.VerifyAsync(Dev + """
            public void Touch()
            {
                if (_m.TryLock())
                {
                    _m.Unlock();
                }
                else
                {
                    [|_state|]++;
                }
            }
        }
        """, "DRV1001");

    [Fact]
    public Task NegatedEarlyReturn() => Verifier.VerifyAsync(Dev + """
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
    public Task StoredResult() => Verifier.VerifyAsync(Dev + """
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
    public Task StoredResultDoesNotCoverTheCodeAfterTheBranch() => Verifier.VerifyAsync(Dev + """
            public void Touch()
            {
                bool ok = _m.TryLock();
                if (ok)
                {
                    _m.Unlock();
                }

                [|_state|]++;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task CompoundCondition() => Verifier.VerifyAsync(Dev + """
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
    public Task NegatedCompoundCondition() => Verifier.VerifyAsync(Dev + """
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
    public Task WwLockStoredResultWithEarlyReturn() => Verifier.VerifyAsync(Gem + """
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
    public Task WwLockEdeadlkBackoff() => Verifier.VerifyAsync(Gem + """
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
    public Task WwLockDirectComparison() => Verifier.VerifyAsync(Gem + """
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
    public Task WwLockSuccessTestedWithEquality() => Verifier.VerifyAsync(Gem + """
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
    public Task WwLockFailurePathTouchesTheObject() => Verifier.VerifyAsync(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret != 0)
                {
                    [|Pages|] = 0;
                    return ret;
                }

                Pages++;
                Resv.Unlock();
                return 0;
            }
        }
        """, "DRV1001");

    [Fact]
    public Task WwLockUnlockOnTheFailurePath() => Verifier.VerifyAsync(Gem + """
            public int Pin(WwAcquireContext ctx)
            {
                int ret = Resv.Lock(ctx);
                if (ret != 0)
                {
                    [|Resv.Unlock()|];
                    return ret;
                }

                Resv.Unlock();
                return 0;
            }
        }
        """, "DRV1004");
}
