using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9001/DRV9002 for the names in the ordering and lifetime annotations (SPEC section 4: a string that does not
/// resolve is itself a diagnostic): lock classes, targets, While locks, handles, CheckedBy methods, Match parameters,
/// and resource or state names. Well-formed annotations of the same kinds are silent.
/// </summary>
public sealed class NamesOfOtherAnnotationsTests
{
    [Fact]
    public Task WellFormedOrderingAndLifetimeAnnotationsAreSilent() => Verify.Analyzer("""
        public sealed class Pages { }

        public sealed class Gem
        {
            [AcquiredBefore("Gem.Lru")] public DmaResv Resv = new DmaResv();
            [AcquiredAfter("Resv")] public Mutex Lru = new Mutex();
            public Pages? Sgt;

            [StateTest("mapped", Target = "Sgt")] public bool HasMapping => Sgt is not null;

            [Requires("Resv"), Begins("vmap", While = "Resv", Counted = true)] public void Vmap() { }
            [Ends("vmap")] public void Vunmap() { }

            [Begins("dma", Target = "return", When = ReturnIs.NonNull, Handle = "handle", CheckedBy = "MappingError")]
            public static Pages? Map(Gem obj, int size, out long handle) { handle = 0; return null; }

            public static bool MappingError(long handle) => false;

            [Ends("dma", Target = "pages", Match = "size,handle")]
            public static void Unmap(Pages pages, int size, long handle) { }

            [RequiresState("pinned", Target = "obj"), EnsuresState("imported", Target = "return")]
            public static Gem Import(Gem obj) => obj;

            [RequiresNotState("imported"), EnsuresNotState("dirty")] public void Mmap() { }
        }
        """);

    [Fact]
    public Task LockClassThatNamesNothing() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|#0:AcquiredBefore("NoSuch.Lock")|}] public Mutex Lock = new Mutex();
        }
        """,
        Verify.Diagnostic("DRV9001").WithLocation(0).WithMessage("[AcquiredBefore] on 'Lock': lock class 'NoSuch.Lock' names nothing: it is not a lock field or property 'Type.Member', a member of 'Gem', or a type"));

    [Fact]
    public Task LockClassThatIsNotALock() => Verify.Analyzer("""
        public sealed class Gem
        {
            public int Count;
            [{|DRV9002:AcquiredAfter("Gem.Count")|}] public Mutex Lock = new Mutex();
            [{|DRV9002:AcquiredAfter("Gem")|}] public Mutex Other = new Mutex();
        }
        """);

    [Fact]
    public Task TargetThatNamesNothing() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|DRV9001:Begins("pinned", Target = "objj")|}] public static void Pin(Gem obj) { }
            [{|DRV9001:Ends("pinned", Target = "obj.NoSuchMember")|}] public static void Unpin(Gem obj) { }
            [{|DRV9001:RequiresState("pinned", Target = "return")|}] public static Gem Vmap(Gem obj) => obj;
        }
        """);

    [Fact]
    public Task DefaultTargetThisOnAStaticMethodNamesNothing() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|#0:Begins("pinned")|}] public static void Pin(Gem obj) { }
        }
        """,
        Verify.Diagnostic("DRV9001").WithLocation(0).WithMessage("[Begins(\"pinned\")] on 'Pin': target 'this' names nothing in static member 'Pin'"));

    [Fact]
    public Task HandleCheckedByAndMatchThatNameNothing() => Verify.Analyzer("""
        public sealed class Pages { }

        public sealed class Dma
        {
            [{|DRV9001:Begins("dma", Target = "return", Handle = "hndl")|}]
            public static Pages? Map1(int size, out long handle) { handle = 0; return null; }

            [{|DRV9002:Begins("dma", Target = "return", Handle = "size")|}]
            public static Pages? Map2(int size, out long handle) { handle = 0; return null; }

            [{|DRV9001:Begins("dma", Target = "return", CheckedBy = "DmaMappingErr")|}]
            public static Pages? Map3(int size) => null;

            [{|DRV9001:Ends("dma", Target = "pages", Match = "size,hndl")|}]
            public static void Unmap(Pages pages, int size, long handle) { }
        }
        """);

    [Fact]
    public Task EmptyResourceOrStateName() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|DRV9001:Begins("")|}] public void Pin() { }
            [{|DRV9001:StateTest(" ")|}] public bool Pinned => true;
        }
        """);

    [Fact]
    public Task WhileLockThatNamesNothing() => Verify.Analyzer("""
        public sealed class Gem
        {
            [{|#0:Begins("vmap", While = "Rsv")|}] public void Vmap() { }
        }
        """,
        Verify.Diagnostic("DRV9001").WithLocation(0).WithMessage("[Begins(\"vmap\")] on 'Vmap': While: lock expression 'Rsv' names nothing: 'Rsv' is not 'this', a parameter, a member of 'Gem' or a type"));
}
