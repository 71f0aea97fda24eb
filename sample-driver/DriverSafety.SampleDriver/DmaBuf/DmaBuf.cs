using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.DmaBuf;

/// <summary>
/// <c>struct dma_buf</c>: a buffer shared between drivers. Its lifetime is its file's (<see cref="File"/>); its
/// reservation is the exporter's object's; the attachment list and the vmap count are protected by that reservation.
/// </summary>
public sealed class DmaBuf
{
    private static long s_nextInode;

    [GuardedBy("Resv")]
    private readonly List<DmaBufAttachment> _attachments = new();

    [GuardedBy("Resv")]
    private int _vmappingCounter;

    [GuardedBy("Resv")]
    private GemVmap? _vmapPtr;

    private DmaBuf(DmaBufOps ops, long size, DmaResv resv, object? priv, string exporterName)
    {
        Ops = ops;
        Size = size;
        Resv = resv;
        Priv = priv;
        ExporterName = exporterName;
        Inode = Interlocked.Increment(ref s_nextInode);
        File = new File("dmabuf:" + Inode, new DmaBufFileOps(), this);
    }

    /// <summary>The exporter's callbacks.</summary>
    public DmaBufOps Ops { get; }

    /// <summary>Size in bytes.</summary>
    public long Size { get; }

    /// <summary>The reservation shared by the exporter's object and every importer.</summary>
    public DmaResv Resv { get; }

    /// <summary>The exporter's private data (its GEM object).</summary>
    public object? Priv { get; }

    /// <summary>The exporting driver's name.</summary>
    public string ExporterName { get; }

    /// <summary>The dma-buf's inode number (a name for reports and the PRIME cache).</summary>
    public long Inode { get; }

    /// <summary>The dma-buf file: its reference count is the buffer's; mmap through it reaches the exporter.</summary>
    public File File { get; }

    /// <summary>Number of attachments.</summary>
    [Requires("Resv")]
    public int AttachmentCount => _attachments.Count;

    /// <summary><c>dma_buf_export</c>: a new dma-buf with one reference (its file).</summary>
    public static DmaBuf Export(DmaBufOps ops, long size, DmaResv resv, object? priv, string exporterName) =>
        new(ops, size, resv, priv, exporterName);

    /// <summary><c>get_dma_buf</c>.</summary>
    public void Get() => File.Get();

    /// <summary><c>dma_buf_put</c>: the last reference calls the exporter's release.</summary>
    [MightSleep]
    [Excludes("Resv")]
    public void Put() => File.Put();

    /// <summary><c>dma_buf_attach</c>: a static importer; the exporter keeps the buffer pinned while attached.</summary>
    [MightSleep]
    [Excludes("Resv")]
    public DmaBufAttachment? Attach(Device dev) => DynamicAttach(dev, null, null);

    /// <summary>
    /// <c>dma_buf_dynamic_attach</c>: the attachment is added to the list under the reservation; a dynamic importer
    /// (<paramref name="importerOps"/> set) maps under the reservation and must follow <c>move_notify</c>.
    /// </summary>
    [MightSleep]
    [Excludes("Resv")]
    public DmaBufAttachment? DynamicAttach(Device dev, DmaBufAttachOps? importerOps, object? importerPriv)
    {
        var attach = new DmaBufAttachment(this, dev, importerOps, importerPriv);
        if (Ops.Attach(this, attach) != 0)
        {
            return null;
        }

        using (var guard = Resv.LockScoped())
        {
            _attachments.Add(attach);
        }

        return attach;
    }

    /// <summary><c>dma_buf_detach</c>.</summary>
    [MightSleep]
    [Excludes("Resv")]
    public void Detach(DmaBufAttachment attach)
    {
        using (var guard = Resv.LockScoped())
        {
            _attachments.Remove(attach);
        }

        Ops.Detach(this, attach);
    }

    /// <summary><c>dma_buf_map_attachment</c>: the importer's mapping of the buffer; needs the reservation held.</summary>
    [Requires("Resv")]
    [MightSleep]
    [Begins("dma-mapping", Target = "return", When = ReturnIs.NonNull)]
    public SgTable? MapAttachment(DmaBufAttachment attach, DmaDataDirection dir)
    {
        Resv.AssertHeld();
        if (!ReferenceEquals(attach.DmaBuf, this))
        {
            throw new ArgumentException("attachment of another dma-buf", nameof(attach));
        }

        attach.DmaBuf.Resv.AssertHeld();
        return Ops.MapDmaBuf(attach, dir);
    }

    /// <summary><c>dma_buf_unmap_attachment</c>.</summary>
    [Requires("Resv")]
    [MightSleep]
    [Ends("dma-mapping", Target = "sgt")]
    public void UnmapAttachment(DmaBufAttachment attach, SgTable sgt, DmaDataDirection dir)
    {
        Resv.AssertHeld();
        attach.DmaBuf.Resv.AssertHeld();
        Ops.UnmapDmaBuf(attach, sgt, dir);
    }

    /// <summary>
    /// <c>dma_buf_move_notify</c>: the exporter is about to move the buffer; every dynamic importer drops its mappings,
    /// synchronously, under this reservation.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    public void MoveNotify()
    {
        Resv.AssertHeld();
        foreach (var attach in _attachments.ToArray())
        {
            if (attach.ImporterOps is { } importer)
            {
                attach.DmaBuf.Resv.AssertHeld();
                importer.MoveNotify(attach);
            }
        }
    }

    /// <summary><c>dma_buf_vmap</c>: a kernel mapping that is only valid while the reservation stays held (seed 003).</summary>
    [Requires("Resv")]
    [MightSleep]
    [Begins("vmap", While = "Resv", Counted = true, When = ReturnIs.NonNull)]
    public GemVmap? Vmap()
    {
        Resv.AssertHeld();
        if (_vmappingCounter > 0 && _vmapPtr is not null)
        {
            _vmappingCounter++;
            return _vmapPtr;
        }

        var map = Ops.Vmap(this);
        if (map is null)
        {
            return null;
        }

        _vmapPtr = map;
        _vmappingCounter = 1;
        return map;
    }

    /// <summary><c>dma_buf_vunmap</c>.</summary>
    [Requires("Resv")]
    [MightSleep]
    [Ends("vmap")]
    public void Vunmap(GemVmap map)
    {
        Resv.AssertHeld();
        if (_vmappingCounter <= 0 || !ReferenceEquals(map, _vmapPtr))
        {
            throw new InvalidOperationException("dma_buf_vunmap of a mapping this dma-buf did not hand out");
        }

        if (--_vmappingCounter == 0)
        {
            Ops.Vunmap(this, map);
            _vmapPtr = null;
        }
    }

    /// <summary>
    /// <c>dma_buf_mmap</c>: an importer forwarding its mmap to the exporter. Only <c>vm_pgoff</c> is adjusted to be
    /// relative to the buffer; <c>vm_file</c> stays the file the user mapped (it may not be reassigned, seed 001).
    /// </summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    [Excludes("Resv")]
    public int Mmap(Vma vma, ulong pgoff)
    {
        var pages = (ulong)(Size >> Page.Shift);
        if (pgoff + (ulong)vma.PageCount < pgoff || pgoff + (ulong)vma.PageCount > pages)
        {
            return -Errno.EINVAL;
        }

        vma.VmPgoff = pgoff;
        return Ops.Mmap(this, vma);
    }

    /// <summary><c>dma_buf_begin_cpu_access</c>: must be paired with <see cref="EndCpuAccess"/> in the same function.</summary>
    [MightSleep]
    [Excludes("Resv")]
    [Begins("cpu-access", Scoped = true, When = ReturnIs.Zero)]
    public int BeginCpuAccess(DmaDataDirection dir) => Ops.BeginCpuAccess(this, dir);

    /// <summary><c>dma_buf_end_cpu_access</c>.</summary>
    [MightSleep]
    [Excludes("Resv")]
    [Ends("cpu-access")]
    public int EndCpuAccess(DmaDataDirection dir) => Ops.EndCpuAccess(this, dir);

    public override string ToString() => $"dma-buf {Inode} ({Size} bytes, {ExporterName})";

    /// <summary>The dma-buf file's operations: mmap of the dma-buf fd itself, and release with the last reference.</summary>
    private sealed class DmaBufFileOps : FileOperations
    {
        [Requires("vma.Mm.MmapLock")]
        [MightSleep]
        public override int Mmap(File file, Vma vma) =>
            file.PrivateData is DmaBuf buf ? buf.Mmap(vma, vma.VmPgoff) : -Errno.ENODEV;

        [MightSleep]
        public override void Release(File file)
        {
            if (file.PrivateData is DmaBuf buf)
            {
                buf.Ops.Release(buf);
            }
        }
    }
}
