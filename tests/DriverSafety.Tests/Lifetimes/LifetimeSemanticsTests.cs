using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Lifetimes;

/// <summary>The lifetime family's semantics beyond the seeds: When, states, counting, ownership, precedence (SPEC §3.3, §7.13–7.18, §7.22).</summary>
public sealed class LifetimeSemanticsTests
{
    private const string Api = LifetimeSources.Api;

    [Fact]
    public Task WhenThroughAStoredResultAndNegatedOrCompoundConditions() => Verify.Analyzer(Api + """
        public static class Maps
        {
            public static int Stored(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                var nents = Dma.MapSg(dev, sgt, DmaDir.ToDevice);
                if (nents <= 0)
                    return -Errno.ENOMEM;
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                return 0;
            }

            public static int Negated(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                var ret = Dma.MapSgtable(dev, sgt, DmaDir.ToDevice);
                if (!(ret == 0))
                    return ret;
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                return 0;
            }

            public static int Compound(Device dev, SgTable? sgt, bool skip)
            {
                if (sgt == null || sgt.IsMapped)
                    return -Errno.EINVAL;
                if (skip || Dma.MapSgtable(dev, sgt, DmaDir.ToDevice) != 0)
                    return -Errno.ENOMEM;
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                return 0;
            }

            public static int CompoundAnd(Device dev, SgTable sgt, bool ready)
            {
                if (!sgt.IsMapped && ready && Dma.MapSg(dev, sgt, DmaDir.ToDevice) > 0)
                {
                    Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                    return 0;
                }

                return -Errno.EINVAL;
            }

            public static int Remerged(Device dev, SgTable sgt, GemObject obj)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                obj.Resv.Lock();
                var ret = Dma.MapSgtable(dev, sgt, DmaDir.ToDevice);
                if (ret == 0)
                    Console.WriteLine("mapped");
                obj.Resv.Unlock();
                if (ret != 0)
                    return ret;
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task EndingAfterAFailedBeginOrTwice() => Verify.Analyzer(Api + """
        public static class Maps
        {
            public static void FailedThenUnmapped(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return;
                if (Dma.MapSg(dev, sgt, DmaDir.ToDevice) == 0)
                    {|DRV3004:Dma.UnmapSg(dev, sgt, DmaDir.ToDevice)|};
            }

            public static void Twice(Device dev, SgTable sgt)
            {
                if (!sgt.IsMapped)
                    return;
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                {|DRV3004:Dma.UnmapSg(dev, sgt, DmaDir.ToDevice)|};
            }
        }
        """);

    [Fact]
    public Task EnsuresAndRequiresStateContracts() => Verify.Analyzer(Api + """
        public sealed class Prime
        {
            [EnsuresState("imported", Target = "return")]
            public static GemObject Import(DmaBufAttachment attach) => new GemObject { ImportAttach = attach };

            [EnsuresNotState("imported", Target = "obj")]
            public static void Detach(GemObject obj) { }

            public static int Use(DmaBufAttachment attach, Vma vma, GemObject other)
            {
                var obj = Import(attach);
                obj.MmapThroughExporter(vma);
                {|DRV3005:obj.Mmap(vma)|};
                Detach(other);
                return other.Mmap(vma);
            }

            [RequiresState("imported", Target = "obj")]
            public static int Forward(GemObject obj, Vma vma) => obj.MmapThroughExporter(vma);
        }
        """);

    [Fact]
    public Task StateTestOnAMethodAndARecordedAssignment() => Verify.Analyzer(Api + """
        public sealed class Buffer
        {
            private bool _mapped;
            public SgTable Table = new SgTable();

            [StateTest("dma-mapping", Target = "Table")]
            public bool IsMapped() => _mapped;

            [StateTest("dma-mapping", Target = "Table")]
            public object? Mapping;

            public void Map(Device dev)
            {
                if (IsMapped())
                    return;
                if (Dma.MapSg(dev, Table, DmaDir.ToDevice) != 0)
                    Mapping = new object();
            }

            public void Unmap(Device dev)
            {
                if (Mapping is null)
                    return;
                Dma.UnmapSg(dev, Table, DmaDir.ToDevice);
                Mapping = null;
                {|DRV3004:Dma.UnmapSg(dev, Table, DmaDir.ToDevice)|};
            }

            public void Remap(Device dev)
            {
                Mapping = null;
                Dma.MapSg(dev, Table, DmaDir.ToDevice);
            }
        }
        """);

    [Fact]
    public Task CountedResourcesBalance() => Verify.Analyzer(Api + """
        public static class Pins
        {
            public static int Twice(GemObject obj)
            {
                if (obj.Pin() != 0)
                    return -Errno.ENOMEM;
                if (obj.Pin() != 0)
                {
                    obj.Unpin();
                    return -Errno.ENOMEM;
                }

                var map = obj.VmapPinned();
                if (map != null)
                    obj.VunmapPinned(map);
                obj.Unpin();
                obj.Unpin();
                return 0;
            }

            public static void Unbalanced(GemObject obj)
            {
                var fresh = new GemObject();
                if (fresh.Pin() != 0)
                    return;
                fresh.Unpin();
                {|DRV3004:fresh.Unpin()|};
            }
        }
        """);

    [Fact]
    public Task FreshObjectsAreOwned() => Verify.Analyzer(Api + """
        public sealed class Owner
        {
            private GemObject? _kept;

            private static GemObject Create() => new GemObject();

            public void Leak(bool keep)
            {
                var obj = Create();
                if ({|#0:obj.Pin()|} != 0)
                    return;
                if (keep)
                {
                    _kept = obj;
                    return;
                }
            {|#1:}|}

            public GemObject Give()
            {
                var obj = new GemObject();
                obj.Pin();
                return obj;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));

    [Fact]
    public Task AMethodThatDeclaresTheResourceHandsItOver() => Verify.Analyzer(Api + """
        public static class Wrappers
        {
            [Begins("dma-mapping", Target = "sgt", When = ReturnIs.Zero)]
            public static int MapTable(Device dev, SgTable sgt, bool bad)
            {
                if ({|#0:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|} == 0)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                return 0;
            }

            [Ends("dma-mapping", Target = "sgt")]
            public static void UnmapTable(Device dev, SgTable sgt) => Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);

            public static int Caller(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                if (MapTable(dev, sgt, false) != 0)
                    return -Errno.ENOMEM;
                UnmapTable(dev, sgt);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'dma-mapping' begun here on 'sgt' is still open where 'MapTable' exits (line 93): this exit fails the method's own [Begins], so it must unwind"));

    [Fact]
    public Task OneFindingPerMistake() => Verify.Analyzer(Api + """
        public static class Precedence
        {
            [RequiresNotState("dma-mapping", Target = "sgt"), Begins("dma-mapping", Target = "sgt")]
            public static void MapFresh(SgTable sgt) { }

            public static void RequiresOverBegins(SgTable sgt) => {|#5:MapFresh(sgt)|};

            public static void EndWithoutBeginOverMismatch(Device dev, Device other, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return;
                if ({|#7:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|} == 0)
                    return;
                {|#0:Dma.UnmapSg(other, sgt, DmaDir.ToDevice)|};
                {|#6:Dma.UnmapSg(dev, sgt, DmaDir.ToDevice)|};
            }

            public static void BegunTwiceKeepsOne(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return;
                {|#2:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
                {|#1:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
            }

            public static void ReleasedOnce(GemObject obj)
            {
                obj.Resv.Lock();
                var map = {|#4:obj.Vmap()|};
                {|#3:obj.Resv.Unlock()|};
                obj.Resv.Lock();
                obj.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV3005").WithLocation(5),
        Verify.Diagnostic("DRV3003").WithLocation(0).WithLocation(7),
        Verify.Diagnostic("DRV3004").WithLocation(6),
        Verify.Diagnostic("DRV3002").WithLocation(1).WithLocation(2),
        Verify.Diagnostic("DRV3006").WithLocation(3).WithLocation(4));

    [Fact]
    public Task StoredHandleIsAUseAndCopiesAreNot() => Verify.Analyzer(Api + """
        public sealed class Ring
        {
            private DmaAddr _addr;

            public void Start(Device dev, byte[] page)
            {
                var addr = {|#1:Dma.MapPage(dev, page, 64, DmaDir.ToDevice)|};
                var copy = addr;
                if (copy.Value == 0)
                    Console.WriteLine("zero");
                {|#0:_addr = copy|};
            }
        }
        """,
        Verify.Diagnostic("DRV3008").WithLocation(0).WithLocation(1));

    [Fact]
    public Task LambdasAndLocalFunctionsAreTheirOwnBodies() => Verify.Analyzer(Api + """
        public static class Later
        {
            public static Action Defer(Device dev, SgTable sgt) => () => Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);

            public static Func<int> Map(Device dev, SgTable sgt) => () => {|DRV3002:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};

            public static void Local(DmaBuf buf)
            {
                Read();

                void Read()
                {
                    if (buf.BeginCpuAccess() != 0)
                        return;
                    buf.EndCpuAccess();
                }
            }
        }
        """);

    [Fact]
    public Task CheckedByThatIsNotAStaticBoolOrIntMethod() => Verify.Analyzer(Api + """
        public sealed class Bad
        {
            public string Check(DmaAddr a) => "";

            [{|DRV9002:Begins("dma-mapping", Target = "return", Handle = "return", CheckedBy = "Check")|}]
            public DmaAddr Map() => default;

            [{|DRV9002:Begins("dma-mapping", Target = "return", When = ReturnIs.Zero)|}]
            public byte[]? Alloc() => null;

            [{|DRV9002:StateTest("mapped")|}]
            public int Count;
        }
        """);

    [Fact]
    public Task IncompleteCodeIsSilentOrCorrect() => Verify.Analyzer(Api + """
        public static class Broken
        {
            public static int Map(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                var ret = Dma.MapSgtable(dev, sgt, );
                if (ret != 0)
                    return ret;
                Dma.UnmapSg(dev, undefined, DmaDir.ToDevice);
                obj.Mmap(null);
                return Dma.MapPage(dev, null, 1
            }
        }
        """,
        new VerifyOptions { AllowCompilerErrors = true });

    [Fact]
    public Task CodeWithoutLifetimeAnnotationsIsSilent() => Verify.Analyzer("""
        public sealed class Plain
        {
            private object? _state;
            public bool Ready => _state != null;

            public int Run(bool a)
            {
                var list = new System.Collections.Generic.List<int>();
                if (_state is { } s && a)
                    return -1;
                _state = list;
                return list.Count;
            }
        }
        """);
    [Fact]
    public Task CheckedByReturningAnInt() => Verify.Analyzer(Api + """
        public static class Iommu
        {
            [Begins("iova", Target = "return", Handle = "return", CheckedBy = "Check")]
            public static long MapIova(Device dev) => 0;

            public static int Check(long iova) => 0;

            [Ends("iova", Target = "iova")]
            public static void UnmapIova(long iova) { }

            public static int Use(Device dev)
            {
                var iova = MapIova(dev);
                var failed = Check(iova);
                if (failed != 0)
                {
                    {|DRV3004:UnmapIova(iova)|};
                    return -Errno.ENOMEM;
                }

                UnmapIova(iova);
                return 0;
            }
        }
        """);

    [Fact]
    public Task ExclusiveBeginsProvedFreeByAnEndOrAnEnsuresNotState() => Verify.Analyzer(Api + """
        public static class Remap
        {
            [EnsuresNotState("dma-mapping", Target = "sgt")]
            public static void Reset(SgTable sgt) { }

            public static void AfterEnd(Device dev, SgTable sgt)
            {
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                Dma.MapSg(dev, sgt, DmaDir.FromDevice);
            }

            public static void AfterReset(Device dev, SgTable sgt)
            {
                Reset(sgt);
                Dma.MapSg(dev, sgt, DmaDir.FromDevice);
            }

            public static void OnSomePaths(Device dev, SgTable sgt, bool again)
            {
                if (sgt.IsMapped)
                    return;
                if (again)
                    {|#1:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
                {|#0:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3002").WithLocation(0).WithLocation(1).WithArguments("dma-mapping", "sgt", "may have it on some path (begun at line 107)"));

    [Fact]
    public Task HandlesPutIntoACollectionAreStored() => Verify.Analyzer(Api + """
        public static class Batch
        {
            public static int MapAll(Device dev, byte[][] pages, System.Collections.Generic.List<DmaAddr> handles)
            {
                foreach (var page in pages)
                {
                    var addr = Dma.MapPage(dev, page, 64, DmaDir.ToDevice);
                    if (Dma.MappingError(dev, addr))
                        return -Errno.ENOMEM;
                    handles.Add(addr);
                }

                return 0;
            }

            public static void ReadAll(Device dev, SgTable sgt)
            {
                if (sgt.IsMapped)
                    return;
                if (Dma.MapSg(dev, sgt, DmaDir.FromDevice) == 0)
                    return;
                var sum = System.Linq.Enumerable.Sum(System.Linq.Enumerable.Select(new[] { 1, 2, 3 }, i => i * 2));
                Dma.UnmapSg(dev, sgt, DmaDir.FromDevice);
            }
        }
        """);
    [Fact]
    public Task OnlyContractsChangeTheCallersState() => Verify.Analyzer(Api + """
        public static class Helpers
        {
            private static void Finish(DmaBuf buf) => buf.EndCpuAccess();

            [Ends("cpu-access", Target = "buf")]
            private static void FinishDeclared(DmaBuf buf) => buf.EndCpuAccess();

            public static int Undeclared(DmaBuf buf)
            {
                if ({|#0:buf.BeginCpuAccess()|} != 0)
                    return -Errno.EINVAL;
                Finish(buf);
                {|#1:return 0;|}
            }

            public static int Declared(DmaBuf buf)
            {
                if (buf.BeginCpuAccess() != 0)
                    return -Errno.EINVAL;
                FinishDeclared(buf);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));
    [Fact]
    public Task ErrorLadderThatSkipsTheUnwind() => Verify.Analyzer(Api + """
        public static class Ladder
        {
            private static int Prepare() => 0;

            public static int Setup(Device dev, SgTable sgt, GemObject obj)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                var ret = {|#0:Dma.MapSgtable(dev, sgt, DmaDir.ToDevice)|};
                if (ret != 0)
                    goto out_free;
                ret = {|#2:obj.Pin()|};
                if (ret != 0)
                    goto out_unmap;
                ret = Prepare();
                if (ret != 0)
                    goto out_free;
                return 0;

            out_unmap:
                Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
            out_free:
                {|#1:return ret;|}
            }

            public static int Correct(Device dev, SgTable sgt, GemObject obj, bool dynamic)
            {
                if (dynamic && obj.Pin() != 0)
                    return -Errno.ENOMEM;
                if (sgt.IsMapped || Dma.MapSgtable(dev, sgt, DmaDir.ToDevice) != 0)
                {
                    if (dynamic)
                        obj.Unpin();
                    return -Errno.ENOMEM;
                }

                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1),
        Verify.Diagnostic("DRV3001").WithLocation(2).WithLocation(1));
}
