using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1011: a method declaring [Acquires]/[Releases] does not hold/release the lock at an exit; reported on the exit
/// (the return statement, or the closing brace when control falls off the end).
/// </summary>
public sealed class OwnContractTests
{
    [Fact]
    public Task AcquiresButNeverLocks() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Acquires("_m")]
            public void LockDev()
            {
                Console.WriteLine("nothing");
            {|#0:}|}
        }
        """,
        Verify.Diagnostic("DRV1011").WithLocation(0).WithMessage("'LockDev' declares that it acquires lock '_m', but it is not held at this exit"));

    [Fact]
    public Task AcquiresButReturnsEarlyWithoutTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Acquires("_m")]
            public void LockDev(bool dead)
            {
                if (dead)
                    {|DRV1011:return;|}
                _m.Lock();
            }
        }
        """);

    [Fact]
    public Task AcquiresKept() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Acquires("_m")]
            public void LockDev() { _m.Lock(); }

            [Acquires("_m")]
            public void LockDevAgain() { LockDev(); }
        }
        """);

    [Fact]
    public Task AcquiresKeptThroughATryLockFallback() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Acquires("_m")]
            public void LockDev()
            {
                if (_m.TryLock())
                    return;
                _m.Lock();
            }
        }
        """);

    [Fact]
    public Task ReleasesButReturnsEarlyHoldingTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Releases("_m")]
            public int UnlockDev(bool busy)
            {
                if (busy)
                    {|DRV1011:return -16;|}
                _m.Unlock();
                return 0;
            }
        }
        """);

    [Fact]
    public Task ReleasesButNeverUnlocks() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Releases("_m")]
            public void UnlockDev()
            {
            {|DRV1011:}|}
        }
        """);

    [Fact]
    public Task ReleasesKept() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Releases("_m")]
            public void UnlockDev() { _m.Unlock(); }

            [Releases("_m")]
            public void UnlockDevAgain() { UnlockDev(); }
        }
        """);

    [Fact]
    public Task ThrowIsNotAnExit() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [Releases("_m")]
            public void UnlockDev(bool corrupt)
            {
                if (corrupt)
                    throw new InvalidOperationException("corrupt");
                _m.Unlock();
            }
        }
        """);

    [Fact]
    public Task AcquiresTheWrongObject() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();

            [Acquires("d.M")]
            public static void LockDev(Dev d, Dev e)
            {
                {|#0:e.M.Lock()|};
            {|#1:{|DRV1011:}|}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task AcquiresWithParameterContract() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
            [GuardedBy("M")] public int State;

            [Acquires("d.M")] public static void LockDev(Dev d) { d.M.Lock(); }
            [Releases("d.M")] public static void UnlockDev(Dev d) { d.M.Unlock(); }

            public static void Use(Dev d)
            {
                LockDev(d);
                d.State = 1;
                UnlockDev(d);
            }
        }
        """);

    [Fact]
    public Task OverrideInheritsTheAcquiresContract() => Verify.Analyzer("""
        public abstract class Engine
        {
            public readonly Mutex M = new Mutex();
            [Acquires("M")] public abstract void Take();
        }

        public sealed class GoodEngine : Engine
        {
            public override void Take() { M.Lock(); }
        }

        public sealed class LazyEngine : Engine
        {
            public override void Take()
            {
            {|DRV1011:}|}
        }
        """);

    [Fact]
    public Task InterfaceReleasesContractAppliesToTheImplementation() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();
        }

        public interface IUnlocker
        {
            [Releases("d.M")] void Unlock(Dev d);
        }

        public sealed class Good : IUnlocker
        {
            public void Unlock(Dev d) { d.M.Unlock(); }
        }

        public sealed class Forgetful : IUnlocker
        {
            public void Unlock(Dev d)
            {
            {|DRV1011:}|}
        }
        """);

    [Fact]
    public Task CallersOfAnAcquiresMethodHoldTheLock() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();
            [GuardedBy("_m")] private int _state;

            [Acquires("_m")] private void LockDev() { _m.Lock(); }

            public void Leak()
            {
                {|#0:LockDev()|};
                _state = 1;
            {|#1:}|}
        }
        """, Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(1));
}
