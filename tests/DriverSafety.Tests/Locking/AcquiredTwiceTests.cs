using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1005: a lock acquired while already held (self-deadlock), directly or through a callee of this compilation.</summary>
public sealed class AcquiredTwiceTests
{
    [Fact]
    public Task DoubleLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            public void Start()
            {
                {|#1:_m.Lock()|};
                {|#0:_m.Lock()|};
                _m.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1).WithMessage("Acquiring lock '_m' that is already held (acquired at line 7): self-deadlock"));

    [Fact]
    public Task RelockAfterUnlock() => Verify.Analyzer("""
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
    public Task CalleeAcquiresTheHeldLock() => Verify.Analyzer("""
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
                {|#1:_m.Lock()|};
                {|#0:Helper()|};
                _m.Unlock();
            }

            public void Fine()
            {
                Helper();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task CalleeAcquiresThroughItsParameter() => Verify.Analyzer("""
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
                {|#1:d.M.Lock()|};
                {|#0:Reset(d)|};
                d.M.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task CalleeAcquiresTransitively() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            private void Inner() { _m.Lock(); _m.Unlock(); }
            private void Middle() { Inner(); }

            public void Start()
            {
                {|#1:_m.Lock()|};
                {|#0:Middle()|};
                _m.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task AcquiringARequiredLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Requires("_m")]
            public void Update()
            {
                {|DRV1005:_m.Lock()|};
            }
        }
        """);

    [Fact]
    public Task WriteLockUnderReadLock() => Verify.Analyzer("""
        public sealed class Mm
        {
            private readonly RwSemaphore _sem = new RwSemaphore();

            public void Upgrade()
            {
                {|#1:_sem.DownRead()|};
                {|#0:_sem.DownWrite()|};
                _sem.UpWrite();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SameLockOfTwoObjectsIsNotSelfDeadlock() => Verify.Analyzer("""
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
    public Task CalleeWithExcludesIsDrv1006NotDrv1005() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Excludes("_m")]
            private void Helper() { _m.Lock(); _m.Unlock(); }

            public void Start()
            {
                {|#1:_m.Lock()|};
                {|#0:Helper()|};
                _m.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1));

    [Fact]
    public Task StaticLockAcquiredTwiceThroughACallee() => Verify.Analyzer("""
        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();

            public static void Evict() { StructMutex.Lock(); StructMutex.Unlock(); }

            public static void Suspend()
            {
                {|#1:StructMutex.Lock()|};
                {|#0:Evict()|};
                StructMutex.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1005").WithLocation(0).WithLocation(1));
}
