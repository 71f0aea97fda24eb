using Xunit;
using DriverSafety.Tests.Verification;

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
    public Task CallWithoutLock() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static void Map(Gem gem) { {|#0:gem.Vmap(1)|}; }
        }
        """, Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Vmap' requires lock 'gem.Resv' held exclusively"));

    [Fact]
    public Task CallUnderLock() => Verify.Analyzer(Gem + """
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
    public Task ImplicitThisCall() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [Requires("Resv")] public void Vmap() { }
            public void Map() { {|DRV1002:Vmap()|}; }
        }
        """);

    [Fact]
    public Task RequiresPropertyReportsThePropertyReference() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static int Size(Gem gem) => {|DRV1002:gem.MappedSize|};
        }
        """);

    [Fact]
    public Task RequiresMethodMayCallAnotherRequiresMethod() => Verify.Analyzer("""
        public sealed class Gem
        {
            public DmaResv Resv { get; } = new DmaResv();
            [GuardedBy("Resv")] public int Pages;
            [Requires("Resv")] public void Vmap() { Pages++; }
            [Requires("Resv")] public void PinAndMap() { Vmap(); Pages--; }
        }
        """);

    [Fact]
    public Task ParameterSubstitution() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static void Map(Gem gem, Gem other, WwAcquireContext ctx)
            {
                gem.Resv.LockSlow(ctx);
                Gem.VmapLocked(gem);
                {|#0:Gem.VmapLocked(other)|};
                gem.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'VmapLocked' requires lock 'other.Resv' held exclusively"));

    [Fact]
    public Task LockOfAnotherObjectDoesNotCount() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static void Map(Gem a, Gem b, WwAcquireContext ctx)
            {
                a.Resv.LockSlow(ctx);
                {|DRV1002:b.Vmap(1)|};
                a.Resv.Unlock();
            }
        }
        """);

    [Fact]
    public Task ALocalAssignedOnceStandsForItsPath() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static void Map(Gem gem, WwAcquireContext ctx)
            {
                var r = gem.Resv;
                r.LockSlow(ctx);
                gem.Vmap(1);
                r.Unlock();
            }

            public static void FromAnotherObject(Gem gem, Gem other, bool useOther, WwAcquireContext ctx)
            {
                var r = gem.Resv;
                if (useOther)
                    r = other.Resv;
                r.LockSlow(ctx);
                {|DRV1002:gem.Vmap(1)|};
                r.Unlock();
            }
        }
        """);

    [Fact]
    public Task AssertsHeldEstablishesTheLock() => Verify.Analyzer(Gem + """
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
    public Task CallAfterRelease() => Verify.Analyzer(Gem + """
        public static class User
        {
            public static void Map(Gem gem, WwAcquireContext ctx)
            {
                gem.Resv.LockSlow(ctx);
                gem.Vmap(1);
                gem.Resv.Unlock();
                {|DRV1002:gem.Vmap(2)|};
            }
        }
        """);

    [Fact]
    public Task ExclusiveRequirementIsNotMetByASharedHold() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore Sem = new RwSemaphore();
            [Requires("Sem")] public void Write() { }
            [Requires("Sem", Shared = true)] public void Read() { }

            public void UnderRead()
            {
                {|#1:Sem.DownRead()|};
                Read();
                {|#0:Write()|};
                Sem.UpRead();
            }
        }
        """, Verify.Diagnostic("DRV1002").WithLocation(0).WithLocation(1));

    [Fact]
    public Task SharedRequirementIsMetByEitherHold() => Verify.Analyzer("""
        public sealed class Mm
        {
            public readonly RwSemaphore Sem = new RwSemaphore();
            [Requires("Sem")] public void Write() { }
            [Requires("Sem", Shared = true)] public void Read() { }

            public void UnderRead() { Sem.DownRead(); Read(); Sem.UpRead(); }
            public void UnderWrite() { Sem.DownWrite(); Read(); Write(); Sem.UpWrite(); }
            public void Unlocked() { {|DRV1002:Read()|}; }
        }
        """);

    [Fact]
    public Task StaticLock() => Verify.Analyzer("""
        public static class Device
        {
            public static readonly Mutex StructMutex = new Mutex();
            [Requires("Device.StructMutex")] public static void Evict() { }
        }

        public static class User
        {
            public static void Good() { Device.StructMutex.Lock(); Device.Evict(); Device.StructMutex.Unlock(); }
            public static void Bad() { {|#0:Device.Evict()|}; }
        }
        """,
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Evict' requires lock 'Device.StructMutex' held exclusively"));

    [Fact]
    public Task InterfaceContractAppliesToTheImplementationBody() => Verify.Analyzer(Gem + """
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
    public Task InterfaceContractAppliesToCallsThroughTheImplementation() => Verify.Analyzer(Gem + """
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
                {|DRV1002:ops.Pin(gem)|};
                {|DRV1002:iops.Pin(gem)|};
            }
        }
        """);

    [Fact]
    public Task OverrideInheritsTheContract() => Verify.Analyzer("""
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
                {|DRV1002:b.Flush()|};
                b.Lock.Lock();
                b.Flush();
                b.Lock.Unlock();
            }
        }
        """);

    [Fact]
    public Task CallUnderCSharpLock() => Verify.Analyzer("""
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

                {|DRV1002:Rehash()|};
            }
        }
        """);

    [Fact]
    public Task ContractDeclaredInAnotherDocument() => Verify.Analyzer(Gem, new VerifyOptions
    {
        ExtraDocuments = new[]
        {
            """
            public static class User
            {
                public static void Map(Gem gem)
                {
                    {|DRV1002:gem.Vmap(1)|};
                    using (gem.Resv.LockScoped())
                    {
                        gem.Vmap(2);
                    }
                }
            }
            """,
        },
    });
}
