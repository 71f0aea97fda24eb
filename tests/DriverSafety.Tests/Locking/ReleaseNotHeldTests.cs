using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1004: a release of a lock that is not held, reported on the releasing invocation.</summary>
public sealed class ReleaseNotHeldTests
{
    [Fact]
    public Task UnlockWithoutLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            public void Stop() { [|_m.Unlock()|]; }
        }
        """, "DRV1004", messageContains: "_m");

    [Fact]
    public Task DoubleUnlock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Stop()
            {
                _m.Lock();
                _m.Unlock();
                [|_m.Unlock()|];
            }
        }
        """, "DRV1004");

    [Fact]
    public Task DoubleUnlockOnAnErrorPath() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public int Stop(bool failed)
            {
                _m.Lock();
                if (failed)
                {
                    _m.Unlock();
                    goto out_unlock;
                }

                _m.Unlock();
                return 0;

            out_unlock:
                [|_m.Unlock()|];
                return -5;
            }
        }
        """, "DRV1004");

    [Fact]
    public Task UnlockAfterAFailedTryLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Touch()
            {
                if (!_m.TryLock())
                {
                    [|_m.Unlock()|];
                    return;
                }

                _m.Unlock();
            }
        }
        """, "DRV1004");

    [Fact]
    public Task UnlockOfTheWrongObject() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();

            public static void Swap(Dev a, Dev b)
            {
                {|DRV1003:a.M.Lock()|};
                {|DRV1004:b.M.Unlock()|};
            }
        }
        """);

    [Fact]
    public Task ReleasesMethodStartsHoldingTheLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            [Releases("_m")]
            public void UnlockDev()
            {
                _state = 0;
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task CallToAReleasesMethodWithoutTheLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [Releases("_m")] public void UnlockDev() { _m.Unlock(); }
            [Acquires("_m")] public void LockDev() { _m.Lock(); }

            public void Good() { LockDev(); UnlockDev(); }
            public void Bad() { [|UnlockDev()|]; }
        }
        """, "DRV1004");

    [Fact]
    public Task MonitorExitWithoutEnter() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly object _sync = new object();
            public void Stop() { [|Monitor.Exit(_sync)|]; }
        }
        """, "DRV1004");

    [Fact]
    public Task UnlockAfterTheUsingGuardReleased() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Stop()
            {
                using (_m.LockScoped())
                {
                }

                [|_m.Unlock()|];
            }
        }
        """, "DRV1004");

    [Fact]
    public Task SharedReleaseWithoutHold() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            public void Done() { [|_sem.UpRead()|]; }
            public void Balanced() { _sem.DownRead(); _sem.UpRead(); _sem.DownWrite(); _sem.UpWrite(); }
        }
        """, "DRV1004");

    [Fact]
    public Task ReleaseInALoopThatAcquiresEachIteration() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly SpinLock _lock = new SpinLock();
            [GuardedBy("_lock")] private int _pending;

            public void Drain(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    _lock.Lock();
                    _pending--;
                    _lock.Unlock();
                }
            }
        }
        """);
}
