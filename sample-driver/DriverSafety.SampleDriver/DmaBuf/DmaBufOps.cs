using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.DmaBuf;

/// <summary>
/// <c>struct dma_buf_ops</c>: the exporter's callbacks. Mapping an attachment and vmap run with the dma-buf's
/// reservation held (the dynamic dma-buf locking rules); mmap runs with the caller's <c>mmap_lock</c> held.
/// </summary>
public abstract class DmaBufOps
{
    /// <summary><c>attach</c>: a new importer device; a static (non-dynamic) importer makes the exporter pin.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public virtual int Attach(DmaBuf dmabuf, DmaBufAttachment attach) => 0;

    /// <summary><c>detach</c>.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public virtual void Detach(DmaBuf dmabuf, DmaBufAttachment attach)
    {
    }

    /// <summary><c>map_dma_buf</c>: an sg table of the buffer, DMA-mapped for <c>attach.Dev</c>. Null on failure.</summary>
    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    [Begins("dma-mapping", Target = "return", When = ReturnIs.NonNull)]
    public abstract SgTable? MapDmaBuf(DmaBufAttachment attach, DmaDataDirection dir);

    /// <summary><c>unmap_dma_buf</c>: unmaps and frees what <see cref="MapDmaBuf"/> returned.</summary>
    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    [Ends("dma-mapping", Target = "sgt")]
    public abstract void UnmapDmaBuf(DmaBufAttachment attach, SgTable sgt, DmaDataDirection dir);

    /// <summary><c>vmap</c>: a kernel mapping valid while the reservation stays held.</summary>
    [Requires("dmabuf.Resv")]
    [MightSleep]
    [Begins("vmap", Target = "dmabuf", While = "dmabuf.Resv", Counted = true, When = ReturnIs.NonNull)]
    public virtual GemVmap? Vmap(DmaBuf dmabuf) => null;

    /// <summary><c>vunmap</c>.</summary>
    [Requires("dmabuf.Resv")]
    [MightSleep]
    [Ends("vmap", Target = "dmabuf")]
    public virtual void Vunmap(DmaBuf dmabuf, GemVmap map)
    {
    }

    /// <summary><c>mmap</c>: maps the buffer into <paramref name="vma"/> (whose <c>vm_pgoff</c> is relative to the buffer).</summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public virtual int Mmap(DmaBuf dmabuf, Vma vma) => -Errno.ENODEV;

    /// <summary><c>begin_cpu_access</c>: makes the buffer coherent for the CPU.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public virtual int BeginCpuAccess(DmaBuf dmabuf, DmaDataDirection dir) => 0;

    /// <summary><c>end_cpu_access</c>: hands the buffer back to the devices.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public virtual int EndCpuAccess(DmaBuf dmabuf, DmaDataDirection dir) => 0;

    /// <summary><c>release</c>: the last reference to the dma-buf is gone.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public abstract void Release(DmaBuf dmabuf);
}

/// <summary>
/// <c>struct dma_buf_attach_ops</c>: the callbacks of a dynamic importer. <see cref="MoveNotify"/> is called with the
/// exporter's reservation held when the exporter is about to move the buffer; the importer must drop its mappings
/// there and may not take any lock that nests outside the reservation (seed 002).
/// </summary>
public abstract class DmaBufAttachOps
{
    /// <summary>Whether the importer can do peer-to-peer DMA.</summary>
    public virtual bool AllowPeer2Peer => false;

    /// <summary><c>move_notify</c>.</summary>
    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    public abstract void MoveNotify(DmaBufAttachment attach);
}

/// <summary><c>struct dma_buf_attachment</c>: one importer device's attachment to a dma-buf.</summary>
public sealed class DmaBufAttachment
{
    internal DmaBufAttachment(DmaBuf dmabuf, Device dev, DmaBufAttachOps? importerOps, object? importerPriv)
    {
        DmaBuf = dmabuf;
        Dev = dev;
        ImporterOps = importerOps;
        ImporterPriv = importerPriv;
    }

    /// <summary>The buffer attached to.</summary>
    public DmaBuf DmaBuf { get; }

    /// <summary>The importing device the buffer is mapped for.</summary>
    public Device Dev { get; }

    /// <summary>The importer's callbacks; null for a static importer (the exporter pins the buffer for it).</summary>
    public DmaBufAttachOps? ImporterOps { get; }

    /// <summary>The importer's private data (its GEM object).</summary>
    public object? ImporterPriv { get; set; }

    /// <summary>The exporter's private data for this attachment.</summary>
    public object? Priv { get; set; }

    /// <summary><c>dma_buf_attachment_is_dynamic</c>.</summary>
    public bool IsDynamic => ImporterOps is not null;

    public override string ToString() => $"attachment of {DmaBuf} for {Dev.Name}";
}
