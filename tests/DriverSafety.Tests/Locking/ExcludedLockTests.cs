using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1006: an [Excludes] member called while the excluded lock is held, reported on the whole invocation.</summary>
public sealed class ExcludedLockTests
{
    private const string Dev = """
        public sealed class Dev
        {
            public readonly Mutex M = new Mutex();

            [Excludes("M")] public void Reset() { M.Lock(); M.Unlock(); }

            [Excludes("d.M")] public static void ResetDev(Dev d) { d.M.Lock(); d.M.Unlock(); }
        }

        """;

    [Fact]
    public Task CallWhileHoldingTheExcludedLock() => Verify.Analyzer(Dev + """
        public static class User
        {
            public static void Use(Dev d)
            {
                {|#1:d.M.Lock()|};
                {|#0:d.Reset()|};
                d.M.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1).WithMessage("Calling 'Reset' while holding lock 'd.M', which it excludes"));

    [Fact]
    public Task CallWithoutTheLock() => Verify.Analyzer(Dev + """
        public static class User
        {
            public static void Use(Dev d)
            {
                d.Reset();
                d.M.Lock();
                d.M.Unlock();
                d.Reset();
            }
        }
        """);

    [Fact]
    public Task AnotherObjectsLockIsNotExcluded() => Verify.Analyzer(Dev + """
        public static class User
        {
            public static void Use(Dev a, Dev b)
            {
                {|#1:a.M.Lock()|};
                {|#0:b.Reset()|};
                a.M.Unlock();
            }
        }
        """,
        // Not excluded (another object's lock), but two locks of one class nested without an acquire context.
        Verify.Diagnostic("DRV1010").WithLocation(0).WithLocation(1));

    [Fact]
    public Task ParameterSubstitution() => Verify.Analyzer(Dev + """
        public static class User
        {
            public static void Use(Dev a, Dev b)
            {
                {|#1:a.M.Lock()|};
                {|#2:Dev.ResetDev(b)|};
                {|#0:Dev.ResetDev(a)|};
                a.M.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1), Verify.Diagnostic("DRV1010").WithLocation(2).WithLocation(1));

    [Fact]
    public Task StaticExcludedLock() => Verify.Analyzer("""
        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();
            [Excludes("Device.StructMutex")] public static void Suspend() { }
        }

        public static class User
        {
            public static void Use()
            {
                Device.Suspend();
                {|#1:Device.StructMutex.Lock()|};
                {|#0:Device.Suspend()|};
                Device.StructMutex.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1));

    [Fact]
    public Task InterfaceContractAppliesToCallsThroughTheImplementation() => Verify.Analyzer(Dev + """
        public interface IResetOps
        {
            [Excludes("d.M")] void Reset(Dev d);
        }

        public sealed class Ops : IResetOps
        {
            public void Reset(Dev d) { }
        }

        public static class User
        {
            public static void Use(Ops ops, Dev d)
            {
                {|#1:d.M.Lock()|};
                {|#0:ops.Reset(d)|};
                d.M.Unlock();
            }
        }
        """, Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1));

    [Fact]
    public Task LambdaCreatedUnderTheLockDoesNotRunUnderIt() => Verify.Analyzer(Dev + """
        public static class User
        {
            public static Action Use(Dev d)
            {
                d.M.Lock();
                Action reset = () => d.Reset();
                d.M.Unlock();
                return reset;
            }
        }
        """);

    [Fact]
    public Task ExcludesUnderCSharpLock() => Verify.Analyzer("""
        public sealed class Table
        {
            private readonly object _sync = new object();
            [Excludes("_sync")] private void Resize() { lock (_sync) { } }

            public void Grow()
            {
                Resize();
                lock ({|#1:_sync|})
                {
                    {|#0:Resize()|};
                }
            }
        }
        """, Verify.Diagnostic("DRV1006").WithLocation(0).WithLocation(1));
}
