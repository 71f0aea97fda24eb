using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

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
    public Task CallWhileHoldingTheExcludedLock() => Verifier.VerifyAsync(Dev + """
        public static class User
        {
            public static void Use(Dev d)
            {
                d.M.Lock();
                [|d.Reset()|];
                d.M.Unlock();
            }
        }
        """, "DRV1006", messageContains: "d.M");

    [Fact]
    public Task CallWithoutTheLock() => Verifier.VerifyAsync(Dev + """
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
    public Task AnotherObjectsLockIsNotExcluded() => Verifier.VerifyAsync(Dev + """
        public static class User
        {
            public static void Use(Dev a, Dev b)
            {
                a.M.Lock();
                b.Reset();
                a.M.Unlock();
            }
        }
        """);

    [Fact]
    public Task ParameterSubstitution() => Verifier.VerifyAsync(Dev + """
        public static class User
        {
            public static void Use(Dev a, Dev b)
            {
                a.M.Lock();
                Dev.ResetDev(b);
                [|Dev.ResetDev(a)|];
                a.M.Unlock();
            }
        }
        """, "DRV1006");

    [Fact]
    public Task StaticExcludedLock() => Verifier.VerifyAsync("""
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
                Device.StructMutex.Lock();
                [|Device.Suspend()|];
                Device.StructMutex.Unlock();
            }
        }
        """, "DRV1006");

    [Fact]
    public Task InterfaceContractAppliesToCallsThroughTheImplementation() => Verifier.VerifyAsync(Dev + """
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
                d.M.Lock();
                [|ops.Reset(d)|];
                d.M.Unlock();
            }
        }
        """, "DRV1006");

    [Fact]
    public Task LambdaCreatedUnderTheLockDoesNotRunUnderIt() => Verifier.VerifyAsync(Dev + """
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
    public Task ExcludesUnderCSharpLock() => Verifier.VerifyAsync("""
        public sealed class Table
        {
            private readonly object _sync = new object();
            [Excludes("_sync")] private void Resize() { lock (_sync) { } }

            public void Grow()
            {
                Resize();
                lock (_sync)
                {
                    [|Resize()|];
                }
            }
        }
        """, "DRV1006");
}
