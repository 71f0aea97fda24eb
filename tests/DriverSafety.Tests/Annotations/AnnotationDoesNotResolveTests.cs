using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9001: a lock expression that names nothing (unknown name, empty string, null element, <c>this</c> in a static
/// member). Reported once per attribute, on the attribute syntax of the declaring member.
/// </summary>
public sealed class AnnotationDoesNotResolveTests
{
    [Fact]
    public Task UnknownName() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            [[|Requires("NoSuchLock")|]] public void Flush() { }
        }
        """, "DRV9001", messageContains: "NoSuchLock");

    [Fact]
    public Task EmptyString() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            [[|Requires("")|]] public void Flush() { }
        }
        """, "DRV9001");

    [Fact]
    public Task NullElement() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            [[|Requires((string)null)|]] public void Flush() { }
        }
        """, "DRV9001");

    [Fact]
    public Task UnknownMemberOnAParameterPath() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [[|Requires("obj.NoSuchResv")|]] public static void Vmap(Gem obj) { }
        }
        """, "DRV9001");

    [Fact]
    public Task UnknownStaticType() => Verifier.VerifyAsync("""
        public static class Device
        {
            [[|Requires("NoSuchDevice.StructMutex")|]] public static void Evict() { }
        }
        """, "DRV9001");

    [Fact]
    public Task ThisInAStaticMethod() => Verifier.VerifyAsync("""
        public static class Core
        {
            [[|Acquires("this")|]] public static void LockIt() { }
            [[|Releases|]] public static void UnlockIt() { }
        }
        """, "DRV9001");

    [Fact]
    public Task EveryLockAttributeIsChecked() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            private readonly Mutex _m = new Mutex();

            [[|GuardedBy("_n")|]] private int _count;
            [[|Acquires("_n")|]] public void A() { _m.Lock(); _m.Unlock(); }
            [[|Releases("_n")|]] public void B() { }
            [[|Excludes("_n")|]] public void C() { }
            [[|AssertsHeld("_n")|]] public void D() { }
            [[|TryAcquires(true, "_n")|]] public bool E() => false;
        }
        """, "DRV9001");

    [Fact]
    public Task ReportedOnceOnTheDeclaringMemberNotAtCallSites() => Verifier.VerifyAsync("""
        public sealed class Dev
        {
            [[|Requires("NoSuchLock")|]] public void Flush() { }

            public void Use()
            {
                Flush();
                Flush();
                Flush();
            }
        }
        """, "DRV9001");

    [Fact]
    public Task ReportedOnTheInterfaceMemberNotOnImplementations() => Verifier.VerifyAsync("""
        public interface IOps
        {
            [[|Requires("NoSuchLock")|]] void Flush();
        }

        public sealed class Ops : IOps
        {
            public void Flush() { }
        }

        public sealed class Ops2 : IOps
        {
            public void Flush() { }
        }
        """, "DRV9001");

    [Fact]
    public Task OneBadNameAmongGoodOnes() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            public readonly Mutex Lru = new Mutex();

            [[|Requires("Resv", "NoSuchLock", "Lru")|]] public void Evict() { }
        }
        """, "DRV9001");

    [Fact]
    public Task ValidExpressionsResolve() => Verifier.VerifyAsync("""
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
