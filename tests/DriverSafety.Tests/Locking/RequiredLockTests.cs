using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Locking;

/// <summary>DRV1002: a [Requires] member used without the lock held, reported on the whole invocation (or property reference).</summary>
public sealed class RequiredLockTests
{
    private const string Gem = """
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;

            [Requires("Resv")] public void Vmap(int x) { Pages += x; }

            [Requires("Resv")] public int MappedSize => Pages;

            [Requires("obj.Resv")] public static void VmapLocked(Gem obj) { obj.Pages++; }
        }

        """;

    [Fact]
    public Task CallWithoutLock() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem) { [|gem.Vmap(1)|]; }
        }
        """, "DRV1002", messageContains: "gem.Resv");

    [Fact]
    public Task CallUnderLock() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem, WwAcquireContext ctx)
            {
                gem.Resv.LockSlow(ctx);
                gem.Vmap(1);
                gem.Resv.Unlock();
            }
        }
        """);

    [Fact]
    public Task ImplicitThisCall() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [Requires("Resv")] public void Vmap() { }
            public void Map() { [|Vmap()|]; }
        }
        """, "DRV1002");

    [Fact]
    public Task RequiresPropertyReportsThePropertyReference() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static int Size(Gem gem) => [|gem.MappedSize|];
        }
        """, "DRV1002");

    [Fact]
    public Task RequiresMethodMayCallAnotherRequiresMethod() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;
            [Requires("Resv")] public void Vmap() { Pages++; }
            [Requires("Resv")] public void PinAndMap() { Vmap(); Pages--; }
        }
        """);

    [Fact]
    public Task ParameterSubstitution() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem, Gem other, WwAcquireContext ctx)
            {
                gem.Resv.LockSlow(ctx);
                Gem.VmapLocked(gem);
                [|Gem.VmapLocked(other)|];
                gem.Resv.Unlock();
            }
        }
        """, "DRV1002", messageContains: "other.Resv");

    [Fact]
    public Task LockOfAnotherObjectDoesNotCount() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem a, Gem b, WwAcquireContext ctx)
            {
                a.Resv.LockSlow(ctx);
                [|b.Vmap(1)|];
                a.Resv.Unlock();
            }
        }
        """, "DRV1002");

    [Fact]
    public Task NoAliasAnalysisThroughALocal() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem, WwAcquireContext ctx)
            {
                var r = gem.Resv;
                r.LockSlow(ctx);
                [|gem.Vmap(1)|];
                r.Unlock();
            }
        }
        """, "DRV1002");

    [Fact]
    public Task AssertsHeldEstablishesTheLock() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem)
            {
                gem.Resv.AssertHeld();
                gem.Vmap(1);
                gem.Pages++;
            }
        }
        """);

    [Fact]
    public Task CallAfterRelease() => Verifier.VerifyAsync(Gem + """
        public static class User
        {
            public static void Map(Gem gem, WwAcquireContext ctx)
            {
                gem.Resv.LockSlow(ctx);
                gem.Vmap(1);
                gem.Resv.Unlock();
                [|gem.Vmap(2)|];
            }
        }
        """, "DRV1002");

    [Fact]
    public Task ExclusiveRequirementIsNotMetByASharedHold() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            public readonly RwSemaphore Sem = new RwSemaphore();
            [Requires("Sem")] public void Write() { }
            [Requires("Sem", Shared = true)] public void Read() { }

            public void UnderRead()
            {
                Sem.DownRead();
                Read();
                [|Write()|];
                Sem.UpRead();
            }
        }
        """, "DRV1002");

    [Fact]
    public Task SharedRequirementIsMetByEitherHold() => Verifier.VerifyAsync("""
        public sealed class Mm
        {
            public readonly RwSemaphore Sem = new RwSemaphore();
            [Requires("Sem")] public void Write() { }
            [Requires("Sem", Shared = true)] public void Read() { }

            public void UnderRead() { Sem.DownRead(); Read(); Sem.UpRead(); }
            public void UnderWrite() { Sem.DownWrite(); Read(); Write(); Sem.UpWrite(); }
            public void Unlocked() { [|Read()|]; }
        }
        """, "DRV1002");

    [Fact]
    public Task StaticLock() => Verifier.VerifyAsync("""
        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();
            [Requires("Device.StructMutex")] public static void Evict() { }
        }

        public static class User
        {
            public static void Good() { Device.StructMutex.Lock(); Device.Evict(); Device.StructMutex.Unlock(); }
            public static void Bad() { [|Device.Evict()|]; }
        }
        """, "DRV1002", messageContains: "StructMutex");

    [Fact]
    public Task InterfaceContractAppliesToTheImplementationBody() => Verifier.VerifyAsync(Gem + """
        public interface IGemOps
        {
            [Requires("obj.Resv")] void Pin(Gem obj);
        }

        public sealed class Ops : IGemOps
        {
            public void Pin(Gem obj) { obj.Vmap(1); obj.Pages++; }
        }
        """);

    [Fact]
    public Task InterfaceContractAppliesToCallsThroughTheImplementation() => Verifier.VerifyAsync(Gem + """
        public interface IGemOps
        {
            [Requires("obj.Resv")] void Pin(Gem obj);
        }

        public sealed class Ops : IGemOps
        {
            public void Pin(Gem obj) { }
        }

        public static class User
        {
            public static void Use(Ops ops, IGemOps iops, Gem gem)
            {
                [|ops.Pin(gem)|];
                [|iops.Pin(gem)|];
            }
        }
        """, "DRV1002");

    [Fact]
    public Task OverrideInheritsTheContract() => Verifier.VerifyAsync("""
        public abstract class Buffer
        {
            public readonly Mutex Lock = new Mutex();
            [GuardedBy("Lock")] public int Dirty;
            [Requires("Lock")] public abstract void Flush();
        }

        public sealed class VramBuffer : Buffer
        {
            public override void Flush() { Dirty = 0; }
        }

        public static class User
        {
            public static void Use(VramBuffer b)
            {
                [|b.Flush()|];
                b.Lock.Lock();
                b.Flush();
                b.Lock.Unlock();
            }
        }
        """, "DRV1002");

    [Fact]
    public Task CallUnderCSharpLock() => Verifier.VerifyAsync("""
        public sealed class Table
        {
            private readonly object _sync = new object();
            [Requires("_sync")] private void Rehash() { }

            public void Grow()
            {
                lock (_sync)
                {
                    Rehash();
                }

                [|Rehash()|];
            }
        }
        """, "DRV1002");

    [Fact]
    public Task ContractDeclaredInAnotherDocument() => Verifier.VerifyAsync(new[]
    {
        Gem,
        """
        public static class User
        {
            public static void Map(Gem gem)
            {
                [|gem.Vmap(1)|];
                using (gem.Resv.LockScoped())
                {
                    gem.Vmap(2);
                }
            }
        }
        """,
    }, "DRV1002");
}
