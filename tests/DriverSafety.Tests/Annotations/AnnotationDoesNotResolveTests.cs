using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9001: a lock expression that names nothing (unknown name, empty string, null element, <c>this</c> in a static
/// member). Reported once per attribute, on the attribute syntax of the declaring member.
/// </summary>
public sealed class AnnotationDoesNotResolveTests
{
    [Fact]
    public Task UnknownName() => Verify.Analyzer("""
        public sealed class Dev
        {
            [{|#0:Requires("NoSuchLock")|}] public void Flush() { }
        }
        """,
        Verify.Diagnostic("DRV9001").WithLocation(0).WithMessage("[Requires] on 'Flush': lock expression 'NoSuchLock' names nothing: 'NoSuchLock' is not 'this', a parameter, a member of 'Dev' or a type"));

    [Fact]
    public Task EmptyString() => Verify.Analyzer("""
        public sealed class Dev
        {
            [{|DRV9001:Requires("")|}] public void Flush() { }
        }
        """);

    [Fact]
    public Task NullElement() => Verify.Analyzer("""
        public sealed class Dev
        {
            [{|DRV9001:Requires((string)null)|}] public void Flush() { }
        }
        """);

    [Fact]
    public Task UnknownMemberOnAParameterPath() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [{|DRV9001:Requires("obj.NoSuchResv")|}] public static void Vmap(Gem obj) { }
        }
        """);

    [Fact]
    public Task UnknownStaticType() => Verify.Analyzer("""
        public static class Device
        {
            [{|DRV9001:Requires("NoSuchDevice.StructMutex")|}] public static void Evict() { }
        }
        """);

    [Fact]
    public Task ThisInAStaticMethod() => Verify.Analyzer("""
        public static class Core
        {
            [{|DRV9001:Acquires("this")|}] public static void LockIt() { }
            [{|DRV9001:Releases|}] public static void UnlockIt() { }
        }
        """);

    [Fact]
    public Task EveryLockAttributeIsChecked() => Verify.Analyzer("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [{|DRV9001:GuardedBy("_n")|}] private int _count;
            [{|DRV9001:Acquires("_n")|}] public void A() { _m.Lock(); _m.Unlock(); }
            [{|DRV9001:Releases("_n")|}] public void B() { }
            [{|DRV9001:Excludes("_n")|}] public void C() { }
            [{|DRV9001:AssertsHeld("_n")|}] public void D() { }
            [{|DRV9001:TryAcquires(true, "_n")|}] public bool E() => false;
        }
        """);

    [Fact]
    public Task ReportedOnceOnTheDeclaringMemberNotAtCallSites() => Verify.Analyzer("""
        public sealed class Dev
        {
            [{|DRV9001:Requires("NoSuchLock")|}] public void Flush() { }

            public void Use()
            {
                Flush();
                Flush();
                Flush();
            }
        }
        """);

    [Fact]
    public Task ReportedOnTheInterfaceMemberNotOnImplementations() => Verify.Analyzer("""
        public interface IOps
        {
            [{|DRV9001:Requires("NoSuchLock")|}] void Flush();
        }

        public sealed class Ops : IOps
        {
            public void Flush() { }
        }

        public sealed class Ops2 : IOps
        {
            public void Flush() { }
        }
        """);

    [Fact]
    public Task OneBadNameAmongGoodOnes() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public readonly Mutex Lru = new Mutex();

            [{|DRV9001:Requires("Resv", "NoSuchLock", "Lru")|}] public void Evict() { }
        }
        """);

    [Fact]
    public Task ValidExpressionsResolve() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore MmapLock = new RwSemaphore();
        }

        public sealed class Vma
        {
            public Mm Mm = new Mm();
            [GuardedBy("Mm.MmapLock")] public int Flags;
        }

        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();
        }

        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            private readonly object _sync = new object();
            [GuardedBy("Resv")] public int Pages;
            [GuardedBy("_sync")] private int _hits;

            [Requires("Resv")] public void Vmap() { }
            [Requires("this.Resv")] public void Vunmap() { }
            [Requires("obj.Resv")] public static void VmapLocked(Gem obj) { }
            [Requires("vma.Mm.MmapLock", Shared = true)] public static void Fault(Vma vma) { }
            [Requires("Device.StructMutex")] public static void Evict() { }
            [Requires("m")] public static void WithMutex(Mutex m) { }
            [Excludes("Resv")] public void Destroy() { }
            [Acquires("Resv", "Device.StructMutex")] public void LockAll() { Resv.LockSlow(new WwAcquireContext()); Device.StructMutex.Lock(); }
        }
        """);
}
