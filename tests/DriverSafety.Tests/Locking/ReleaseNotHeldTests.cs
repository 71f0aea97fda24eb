using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1004: a release of a lock that is not held, reported on the releasing invocation.</summary>
public sealed class ReleaseNotHeldTests
{
    [Fact]
    public Task UnlockWithoutLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            public void Stop() { {|#0:_m.Unlock()|}; }
        }
        """, Verify.Diagnostic("DRV1004").WithLocation(0).WithMessage("Releasing lock '_m' that is not held on this path"));

    [Fact]
    public Task DoubleUnlock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Stop()
            {
                _m.Lock();
                _m.Unlock();
                {|DRV1004:_m.Unlock()|};
            }
        }
        """);

    [Fact]
    public Task DoubleUnlockOnAnErrorPath() => Verify.Analyzer("""
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
                {|DRV1004:_m.Unlock()|};
                return -5;
            }
        }
        """);

    [Fact]
    public Task UnlockAfterAFailedTryLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Touch()
            {
                if (!_m.TryLock())
                {
                    {|DRV1004:_m.Unlock()|};
                    return;
                }

                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task UnlockOfTheWrongObject() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();

            public static void Swap(Dev a, Dev b)
            {
                {|#0:a.M.Lock()|};
                {|DRV1004:b.M.Unlock()|};
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task ReleasesMethodStartsHoldingTheLock() => Verify.Analyzer("""
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
    public Task CallToAReleasesMethodWithoutTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [Releases("_m")] public void UnlockDev() { _m.Unlock(); }
            [Acquires("_m")] public void LockDev() { _m.Lock(); }

            public void Good() { LockDev(); UnlockDev(); }
            public void Bad() { {|DRV1004:UnlockDev()|}; }
        }
        """);

    [Fact]
    public Task MonitorExitWithoutEnter() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly object _sync = new object();
            public void Stop() { {|DRV1004:Monitor.Exit(_sync)|}; }
        }
        """);

    [Fact]
    public Task UnlockAfterTheUsingGuardReleased() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Stop()
            {
                using (_m.LockScoped())
                {
                }

                {|DRV1004:_m.Unlock()|};
            }
        }
        """);

    [Fact]
    public Task SharedReleaseWithoutHold() => Verify.Analyzer("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            public void Done() { {|DRV1004:_sem.UpRead()|}; }
            public void Balanced() { _sem.DownRead(); _sem.UpRead(); _sem.DownWrite(); _sem.UpWrite(); }
        }
        """);

    [Fact]
    public Task ReleaseInALoopThatAcquiresEachIteration() => Verify.Analyzer("""
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
