namespace DriverSafety.Tests.Lifetimes;

/// <summary>A small annotated DMA API, GEM object, dma-buf and VMA the lifetime tests call (SPEC §3.3).</summary>
internal static class LifetimeSources
{
    public const string Api = """
        public sealed class Device { }

        public sealed class SgTable
        {
            [StateTest("dma-mapping")] public bool IsMapped { get; internal set; }
        }

        public readonly struct DmaAddr
        {
            public DmaAddr(ulong value) => Value = value;
            public ulong Value { get; }
        }

        public enum DmaDir { ToDevice, FromDevice }

        public static class Dma
        {
            [Begins("dma-mapping", Target = "sgt", When = ReturnIs.NonZero)]
            public static int MapSg(Device dev, SgTable sgt, DmaDir dir) => 1;

            [Begins("dma-mapping", Target = "sgt", When = ReturnIs.Zero)]
            public static int MapSgtable(Device dev, SgTable sgt, DmaDir dir) => 0;

            [Ends("dma-mapping", Target = "sgt", Match = "dev,dir")]
            public static void UnmapSg(Device dev, SgTable sgt, DmaDir dir) { }

            [Begins("dma-mapping", Target = "return", Handle = "return", CheckedBy = "MappingError")]
            public static DmaAddr MapPage(Device dev, byte[] page, int size, DmaDir dir) => default;

            public static bool MappingError(Device dev, DmaAddr addr) => false;

            [Ends("dma-mapping", Target = "addr", Match = "dev,size,dir")]
            public static void UnmapPage(Device dev, DmaAddr addr, int size, DmaDir dir) { }

            [Begins("coherent", Target = "return", When = ReturnIs.NonNull, Handle = "handle")]
            public static byte[]? AllocCoherent(Device dev, int size, out DmaAddr handle) { handle = default; return new byte[size]; }

            [Ends("coherent", Target = "cpuAddr", Match = "dev,size,handle")]
            public static void FreeCoherent(Device dev, int size, byte[] cpuAddr, DmaAddr handle) { }
        }

        public sealed class DmaBufAttachment { }

        public sealed class File { }

        public sealed class Vma
        {
            [NoReassign] public File? VmFile;
            public Vma(File file) => VmFile = file;
            internal void SetFile(File file) => VmFile = file;
        }

        public sealed class GemObject
        {
            public readonly Mutex Resv = new Mutex();
            public SgTable? Sgt;

            [StateTest("imported")] public DmaBufAttachment? ImportAttach { get; init; }

            [StateTest("dma-mapping", Target = "Sgt")] public bool HasDmaMapping;

            [RequiresNotState("imported")] public int Mmap(Vma vma) => 0;

            [RequiresState("imported")] public int MmapThroughExporter(Vma vma) => 0;

            [Begins("pinned", Counted = true, When = ReturnIs.Zero)] public int Pin() => 0;

            [Ends("pinned")] public void Unpin() { }

            [Requires("Resv"), Begins("vmap", While = "Resv", Counted = true, When = ReturnIs.NonNull)] public byte[]? Vmap() => null;

            [Requires("Resv"), Ends("vmap")] public void Vunmap(byte[] map) { }

            [RequiresState("pinned"), Begins("pinned-vmap", Counted = true, When = ReturnIs.NonNull)] public byte[]? VmapPinned() => null;

            [RequiresState("pinned"), Ends("pinned-vmap")] public void VunmapPinned(byte[] map) { }
        }

        public sealed class DmaBuf
        {
            [Begins("cpu-access", Scoped = true, When = ReturnIs.Zero)] public int BeginCpuAccess() => 0;

            [Ends("cpu-access")] public void EndCpuAccess() { }
        }

        """;
}
