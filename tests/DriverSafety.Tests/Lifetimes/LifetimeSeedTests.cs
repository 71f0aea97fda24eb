using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Lifetimes;

/// <summary>The seeds of the lifetime family retold both ways: the bug, and the kernel's fix (SPEC §5, §7.13–7.18).</summary>
public sealed class LifetimeSeedTests
{
    private const string Api = LifetimeSources.Api;

    // Seed 000: i915 mapped an object's pages again for each VMA it was bound to.
    [Fact]
    public Task BindMapsWithoutTheHasDmaMappingGuard() => Verify.Analyzer(Api + """
        public static class I915
        {
            public static int Bind(GemObject obj, Device dev)
            {
                if ({|#0:Dma.MapSg(dev, obj.Sgt!, DmaDir.ToDevice)|} == 0)
                    return -Errno.ENOMEM;
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3002").WithLocation(0).WithMessage(
            "Beginning 'dma-mapping' on 'obj.Sgt', which is not proved free of it: prove it free first (a [StateTest] branch, a [RequiresNotState] contract, or an [EnsuresNotState] or [Ends] call earlier on the path)"));

    [Fact]
    public Task BindAndUnbindWithTheHasDmaMappingGuard() => Verify.Analyzer(Api + """
        public static class I915
        {
            public static int Bind(GemObject obj, Device dev)
            {
                if (!obj.HasDmaMapping)
                {
                    if (Dma.MapSg(dev, obj.Sgt!, DmaDir.ToDevice) == 0)
                        return -Errno.ENOMEM;
                    obj.HasDmaMapping = true;
                }

                return 0;
            }

            public static void Unbind(GemObject obj, Device dev)
            {
                if (obj.HasDmaMapping)
                {
                    Dma.UnmapSg(dev, obj.Sgt!, DmaDir.ToDevice);
                    obj.HasDmaMapping = false;
                }
            }

            // Teardown of a mapping stored in a field: trusted, its state is not known to be unmapped.
            public static void Release(GemObject obj, Device dev) => Dma.UnmapSg(dev, obj.Sgt!, DmaDir.ToDevice);
        }
        """);

    [Fact]
    public Task UnbindLoopUnmapsOncePerBinding() => Verify.Analyzer(Api + """
        public static class I915
        {
            public static void UnbindAll(GemObject obj, Device dev, Vma[] vmas)
            {
                if (!obj.HasDmaMapping)
                    return;
                foreach (var vma in vmas)
                    {|#0:Dma.UnmapSg(dev, obj.Sgt!, DmaDir.ToDevice)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3004").WithLocation(0).WithMessage(
            "Ending 'dma-mapping' on 'obj.Sgt', which does not have it on some path reaching this call (never begun there, already ended, or its begin failed)"));

    [Fact]
    public Task MappingTwiceOnOnePath() => Verify.Analyzer(Api + """
        public static class I915
        {
            public static void Twice(SgTable sgt, Device dev)
            {
                if (sgt.IsMapped)
                    return;
                {|#1:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
                {|#0:Dma.MapSg(dev, sgt, DmaDir.ToDevice)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3002").WithLocation(0).WithLocation(1).WithMessage(
            "Beginning 'dma-mapping' on 'sgt', which already has it (begun at line 91): prove it free first (a [StateTest] branch, a [RequiresNotState] contract, or an [EnsuresNotState] or [Ends] call earlier on the path)"));

    // Seed 001: vgem let an imported dma-buf be mmapped through the importer.
    [Fact]
    public Task MmapOfAPossiblyImportedObject() => Verify.Analyzer(Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject obj, Vma vma) => {|#0:obj.Mmap(vma)|};
        }
        """,
        Verify.Diagnostic("DRV3005").WithLocation(0).WithMessage(
            "Calling 'Mmap' requires 'obj' not to be in state 'imported', but it is not proved here (test it with a [StateTest] member, or require it of the caller)"));

    [Fact]
    public Task MmapForwardsImportedObjectsToTheExporter() => Verify.Analyzer(Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject obj, Vma vma)
            {
                if (obj.ImportAttach != null)
                    return obj.MmapThroughExporter(vma);
                return obj.Mmap(vma);
            }

            public static int MmapPattern(GemObject obj, Vma vma)
            {
                if (obj.ImportAttach is not null)
                    return obj.MmapThroughExporter(vma);
                return obj.Mmap(vma);
            }

            public static int MmapDeclared(GemObject obj, Vma vma)
            {
                if (obj.ImportAttach is { } attachment)
                    return obj.MmapThroughExporter(vma);
                return obj.Mmap(vma);
            }

            public static int MmapIsNull(GemObject obj, Vma vma) => obj.ImportAttach is null ? obj.Mmap(vma) : obj.MmapThroughExporter(vma);

            public static int MmapNew(Vma vma) => new GemObject().Mmap(vma);

            [RequiresNotState("imported", Target = "obj")]
            public static int MmapNative(GemObject obj, Vma vma) => obj.Mmap(vma);
        }
        """);

    [Fact]
    public Task MmapThroughTheExporterWithoutTheTest() => Verify.Analyzer(Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject obj, Vma vma)
            {
                if (obj.ImportAttach == null || obj.Sgt == null)
                    return {|DRV3005:obj.MmapThroughExporter(vma)|};
                return {|DRV3005:obj.Mmap(vma)|};
            }
        }
        """);

    [Fact]
    public Task RewritingTheFileOfAVma() => Verify.Analyzer(Api + """
        public static class Vgem
        {
            public static void Forward(Vma vma, File exporter)
            {
                {|#0:vma.VmFile = exporter|};
            }

            public static Vma Create(File file) => new Vma(file) { VmFile = file };

            public static void Core(Vma vma, File file) => vma.SetFile(file);

            public static void Compound(Vma vma, File file)
            {
                var current = vma.VmFile ?? file;
                {|#1:vma.VmFile = current|};
            }

            public static void Coalesce(Vma vma, File file) => {|#3:vma.VmFile|} ??= file;

            public static void ByRef(Vma vma, File file) => System.Threading.Interlocked.Exchange(ref {|#2:vma.VmFile|}, file);
        }
        """,
        Verify.Diagnostic("DRV3007").WithLocation(0).WithMessage("'VmFile' is [NoReassign]: it may be assigned only in constructors, initializers and members of 'Vma'"),
        Verify.Diagnostic("DRV3007").WithLocation(1),
        Verify.Diagnostic("DRV3007").WithLocation(2),
        Verify.Diagnostic("DRV3007").WithLocation(3));

    // Seed 003: a GEM vmap must stay under the reservation lock until its vunmap.
    [Fact]
    public Task VmapWithoutTheReservationLock() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            public static void Read(GemObject obj)
            {
                var map = {|DRV1002:obj.Vmap()|};
                if (map != null)
                    {|DRV1002:obj.Vunmap(map)|};
            }
        }
        """);

    [Fact]
    public Task VmapWithTheLockDroppedBeforeVunmap() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            public static void Read(GemObject obj)
            {
                obj.Resv.Lock();
                var map = {|#0:obj.Vmap()|};
                if (map == null)
                {
                    obj.Resv.Unlock();
                    return;
                }

                {|#1:obj.Resv.Unlock()|};
                Console.WriteLine(map[0]);
                obj.Resv.Lock();
                obj.Vunmap(map);
                obj.Resv.Unlock();
            }
        }
        """,
        Verify.Diagnostic("DRV3006").WithLocation(1).WithLocation(0).WithMessage(
            "Releasing lock 'obj.Resv' while 'vmap' begun on 'obj' depends on it: end it before the release"));

    [Fact]
    public Task VmapUnderTheLockUntilVunmap() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            public static int Read(GemObject obj)
            {
                obj.Resv.Lock();
                var map = obj.Vmap();
                if (map == null)
                {
                    obj.Resv.Unlock();
                    return -Errno.ENOMEM;
                }

                var first = map[0];
                obj.Vunmap(map);
                obj.Resv.Unlock();
                return first;
            }
        }
        """);

    [Fact]
    public Task VmapLeakedOnAnErrorPath() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            [Requires("obj.Resv")]
            public static int Fill(GemObject obj, bool bad)
            {
                var map = {|#0:obj.Vmap()|};
                if (map == null)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                obj.Vunmap(map);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'vmap' begun here on 'obj' is still open where 'Fill' exits (line 94): it depends on lock 'obj.Resv' and must be ended before the method returns"));

    [Fact]
    public Task ThePinnedFlavourNeedsAPin() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            public static void Unpinned(GemObject obj)
            {
                var map = {|#0:obj.VmapPinned()|};
                if (map != null)
                    {|#1:obj.VunmapPinned(map)|};
            }

            public static int Pinned(GemObject obj)
            {
                if (obj.Pin() != 0)
                    return -Errno.ENOMEM;
                var map = obj.VmapPinned();
                if (map == null)
                {
                    obj.Unpin();
                    return -Errno.ENOMEM;
                }

                obj.VunmapPinned(map);
                obj.Unpin();
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3005").WithLocation(0).WithMessage(
            "Calling 'VmapPinned' requires 'obj' to be in state 'pinned', but it is not proved here (test it with a [StateTest] member, or require it of the caller)"),
        Verify.Diagnostic("DRV3005").WithLocation(1));

    [Fact]
    public Task PinnedVmapLeakedOnAnErrorPath() => Verify.Analyzer(Api + """
        public static class Vmaps
        {
            public static int Pinned(GemObject obj, bool bad)
            {
                if ({|#0:obj.Pin()|} != 0)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                obj.Unpin();
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'pinned' begun here on 'obj' is still open where 'Pinned' exits (line 92): an error path must unwind what the method began"));

    // Seed 004: dma_free_coherent() must get the same device, size and handle as the allocation.
    [Fact]
    public Task CoherentBufferFreedWithAnotherSize() => Verify.Analyzer(Api + """
        public static class Coherent
        {
            public static void Run(Device dev)
            {
                var buf = {|#1:Dma.AllocCoherent(dev, 4096, out var handle)|};
                if (buf == null)
                    return;
                {|#0:Dma.FreeCoherent(dev, 8192, buf, handle)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3003").WithLocation(0).WithLocation(1).WithMessage(
            "Ending 'coherent' on 'buf' with size '8192', but it was begun with '4096' (begun at line 89)"));

    [Fact]
    public Task CoherentBufferFreedWithAnotherHandle() => Verify.Analyzer(Api + """
        public static class Coherent
        {
            public static void Run(Device dev, DmaAddr other)
            {
                var buf = {|#1:Dma.AllocCoherent(dev, 4096, out var handle)|};
                if (buf == null)
                    return;
                {|#0:Dma.FreeCoherent(dev, 4096, buf, other)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3003").WithLocation(0).WithLocation(1));

    [Fact]
    public Task CoherentBufferLeakedOnAnErrorPath() => Verify.Analyzer(Api + """
        public static class Coherent
        {
            public static int Run(Device dev, bool bad)
            {
                var buf = {|#0:Dma.AllocCoherent(dev, 4096, out var handle)|};
                if (buf == null)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                Dma.FreeCoherent(dev, 4096, buf, handle);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'coherent' begun here on 'buf' is still open where 'Run' exits (line 93): it is on an object this method owns (not stored, not returned)"));

    [Fact]
    public Task CoherentBufferFreedCorrectlyThroughAConst() => Verify.Analyzer(Api + """
        public sealed class Ring
        {
            private const int Size = 4096;
            private byte[]? _buf;
            private DmaAddr _handle;

            public static void Run(Device dev)
            {
                var buf = Dma.AllocCoherent(dev, Size, out var handle);
                if (buf == null)
                    return;
                buf[0] = 1;
                Dma.FreeCoherent(dev, Size, buf, handle);
            }

            public int Keep(Device dev)
            {
                var buf = Dma.AllocCoherent(dev, Size, out var handle);
                if (buf == null)
                    return -Errno.ENOMEM;
                _buf = buf;
                _handle = handle;
                return 0;
            }

            public byte[]? Give(Device dev, out DmaAddr handle) => Dma.AllocCoherent(dev, Size, out handle);
        }
        """);

    [Fact]
    public Task UncheckedMappingHandle() => Verify.Analyzer(Api + """
        public static class Single
        {
            public static void Send(Device dev, byte[] page)
            {
                var addr = {|#1:Dma.MapPage(dev, page, 64, DmaDir.ToDevice)|};
                {|#0:Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice)|};
            }
        }
        """,
        Verify.Diagnostic("DRV3008").WithLocation(0).WithLocation(1).WithMessage(
            "The handle 'addr' of 'dma-mapping' begun here is passed to 'UnmapPage' before it is passed to 'MappingError'"));

    [Fact]
    public Task CheckedMappingHandleAndADeclaredWrapper() => Verify.Analyzer(Api + """
        public static class Single
        {
            public static int Send(Device dev, byte[] page)
            {
                var addr = Dma.MapPage(dev, page, 64, DmaDir.ToDevice);
                var copy = addr;
                if (Dma.MappingError(dev, copy))
                    return -Errno.ENOMEM;
                Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice);
                return 0;
            }

            [Begins("dma-mapping", Target = "return", Handle = "return", CheckedBy = "Dma.MappingError")]
            public static DmaAddr MapForDevice(Device dev, byte[] page) => Dma.MapPage(dev, page, 64, DmaDir.ToDevice);

            public static int Caller(Device dev, byte[] page)
            {
                var addr = MapForDevice(dev, page);
                if (Dma.MappingError(dev, addr))
                    return -Errno.ENOMEM;
                Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice);
                return 0;
            }
        }
        """);

    [Fact]
    public Task WrapperThatReturnsAnUncheckedHandleUndeclared() => Verify.Analyzer(Api + """
        public static class Single
        {
            public static DmaAddr MapForDevice(Device dev, byte[] page) => {|#0:Dma.MapPage(dev, page, 64, DmaDir.ToDevice)|};
        }
        """,
        Verify.Diagnostic("DRV3008").WithLocation(0).WithLocation(0).WithMessage(
            "The handle 'the result of 'MapPage'' of 'dma-mapping' begun here is returned (declare it: [Begins(..., Handle = \"return\", CheckedBy = ...)]) before it is passed to 'MappingError'"));

    [Fact]
    public Task FailedMapThenUnmapped() => Verify.Analyzer(Api + """
        public static class Single
        {
            public static int Send(Device dev, byte[] page)
            {
                var addr = Dma.MapPage(dev, page, 64, DmaDir.ToDevice);
                if (Dma.MappingError(dev, addr))
                {
                    {|#0:Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice)|};
                    return -Errno.ENOMEM;
                }

                Dma.UnmapPage(dev, addr, 64, DmaDir.ToDevice);
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3004").WithLocation(0).WithMessage(
            "Ending 'dma-mapping' on 'addr', which does not have it here (never begun on this path, already ended, or its begin failed)"));

    [Fact]
    public Task CpuAccessNotEndedOnAnErrorPath() => Verify.Analyzer(Api + """
        public static class Cpu
        {
            public static int Read(DmaBuf buf, bool bad)
            {
                if ({|#0:buf.BeginCpuAccess()|} != 0)
                    return -Errno.EINVAL;
                if (bad)
                    {|#1:return -Errno.ENOMEM;|}
                buf.EndCpuAccess();
                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'cpu-access' begun here on 'buf' is still open where 'Read' exits (line 92): it is scoped and must be ended in the method that began it"));

    [Fact]
    public Task CpuAccessEndedInFinally() => Verify.Analyzer(Api + """
        public static class Cpu
        {
            public static int Read(DmaBuf buf, bool bad)
            {
                if (buf.BeginCpuAccess() != 0)
                    return -Errno.EINVAL;
                try
                {
                    if (bad)
                        return -Errno.ENOMEM;
                    return 0;
                }
                finally
                {
                    buf.EndCpuAccess();
                }
            }
        }
        """);

    [Fact]
    public Task ParameterSgTableLeakedOnOneErrorReturn() => Verify.Analyzer(Api + """
        public static class Setup
        {
            private static int Prepare() => 0;

            public static int Run(Device dev, SgTable sgt, bool a, bool b)
            {
                if (sgt.IsMapped)
                    return -Errno.EINVAL;
                if ({|#0:Dma.MapSgtable(dev, sgt, DmaDir.ToDevice)|} != 0)
                    return -Errno.ENOMEM;
                if (a)
                {
                    Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                    return -Errno.EINVAL;
                }

                var ret = Prepare();
                if (ret != 0)
                    {|#1:return ret;|}
                if (b)
                {
                    Dma.UnmapSg(dev, sgt, DmaDir.ToDevice);
                    throw new InvalidOperationException();
                }

                return 0;
            }
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1).WithMessage(
            "'dma-mapping' begun here on 'sgt' is still open where 'Run' exits (line 103): an error path must unwind what the method began"));
}
