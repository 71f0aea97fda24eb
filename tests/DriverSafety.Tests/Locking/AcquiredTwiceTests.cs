using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1005: a lock acquired while already held (self-deadlock), directly or through a callee of this compilation.</summary>
public sealed class AcquiredTwiceTests
{
    [Fact]
    public Task DoubleLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lock();
                [|_m.Lock()|];
                _m.Unlock();
            }
        }
        """, "DRV1005", messageContains: "_m");

    [Fact]
    public Task RelockAfterUnlock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                _m.Lock();
                _m.Unlock();
                _m.Lock();
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task CalleeAcquiresTheHeldLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            private void Helper()
            {
                _m.Lock();
                _m.Unlock();
            }

            public void Start()
            {
                _m.Lock();
                [|Helper()|];
                _m.Unlock();
            }

            public void Fine()
            {
                Helper();
            }
        }
        """, "DRV1005");

    [Fact]
    public Task CalleeAcquiresThroughItsParameter() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
        }

        public static class Core
        {
            public static void Reset(Dev d)
            {
                d.M.Lock();
                d.M.Unlock();
            }

            public static void Use(Dev d)
            {
                d.M.Lock();
                [|Reset(d)|];
                d.M.Unlock();
            }
        }
        """, "DRV1005");

    [Fact]
    public Task CalleeAcquiresTransitively() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            private void Inner() { _m.Lock(); _m.Unlock(); }
            private void Middle() { Inner(); }

            public void Start()
            {
                _m.Lock();
                [|Middle()|];
                _m.Unlock();
            }
        }
        """, "DRV1005");

    [Fact]
    public Task AcquiringARequiredLock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Requires("_m")]
            public void Update()
            {
                [|_m.Lock()|];
            }
        }
        """, "DRV1005");

    [Fact]
    public Task WriteLockUnderReadLock() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();

            public void Upgrade()
            {
                _sem.DownRead();
                [|_sem.DownWrite()|];
                _sem.UpWrite();
            }
        }
        """, "DRV1005");

    [Fact]
    public Task SameLockOfTwoObjectsIsNotSelfDeadlock() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
        }

        public sealed class Bus
        {
            public readonly SpinLock Lock = new SpinLock();

            public static void Pair(Dev d, Bus b)
            {
                d.M.Lock();
                b.Lock.Lock();
                b.Lock.Unlock();
                d.M.Unlock();
            }
        }
        """);

    [Fact]
    public Task CalleeWithExcludesIsDrv1006NotDrv1005() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Excludes("_m")]
            private void Helper() { _m.Lock(); _m.Unlock(); }

            public void Start()
            {
                _m.Lock();
                {|DRV1006:Helper()|};
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task StaticLockAcquiredTwiceThroughACallee() => Verifier.VerifyAsync("""
        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();

            public static void Evict() { StructMutex.Lock(); StructMutex.Unlock(); }

            public static void Suspend()
            {
                StructMutex.Lock();
                [|Evict()|];
                StructMutex.Unlock();
            }
        }
        """, "DRV1005");
}
