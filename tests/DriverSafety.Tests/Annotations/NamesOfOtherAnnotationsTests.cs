using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// DRV9001/DRV9002 for the names in the ordering and lifetime annotations (SPEC section 4: a string that does not
/// resolve is itself a diagnostic): lock classes, targets, While locks, handles, CheckedBy methods, Match parameters,
/// and resource or state names. Well-formed annotations of the same kinds are silent.
/// </summary>
public sealed class NamesOfOtherAnnotationsTests
{
    [Fact]
    public Task WellFormedOrderingAndLifetimeAnnotationsAreSilent() => Verifier.VerifyAsync("""
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
    public Task LockClassThatNamesNothing() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            [[|AcquiredBefore("NoSuch.Lock")|]] public Mutex Lock = new Mutex();
        }
        """, "DRV9001", messageContains: "NoSuch.Lock");

    [Fact]
    public Task LockClassThatIsNotALock() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            public int Count;
            [[|AcquiredAfter("Gem.Count")|]] public Mutex Lock = new Mutex();
            [[|AcquiredAfter("Gem")|]] public Mutex Other = new Mutex();
        }
        """, "DRV9002");

    [Fact]
    public Task TargetThatNamesNothing() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            [[|Begins("pinned", Target = "objj")|]] public static void Pin(Gem obj) { }
            [[|Ends("pinned", Target = "obj.NoSuchMember")|]] public static void Unpin(Gem obj) { }
            [[|RequiresState("pinned", Target = "return")|]] public static Gem Vmap(Gem obj) => obj;
        }
        """, "DRV9001");

    [Fact]
    public Task DefaultTargetThisOnAStaticMethodNamesNothing() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            [[|Begins("pinned")|]] public static void Pin(Gem obj) { }
        }
        """, "DRV9001", messageContains: "this");

    [Fact]
    public Task HandleCheckedByAndMatchThatNameNothing() => Verifier.VerifyAsync("""
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
    public Task EmptyResourceOrStateName() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            [[|Begins("")|]] public void Pin() { }
            [[|StateTest(" ")|]] public bool Pinned => true;
        }
        """, "DRV9001");

    [Fact]
    public Task WhileLockThatNamesNothing() => Verifier.VerifyAsync("""
        public sealed class Gem
        {
            [[|Begins("vmap", While = "Rsv")|]] public void Vmap() { }
        }
        """, "DRV9001", messageContains: "While");
}
