using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.DmaBuf;

/// <summary>
/// <c>drm_gem_prime_dmabuf_ops</c>: the dma-buf exporter callbacks of a GEM object (drm_prime.c with the shmem
/// helpers). Static importers pin the object at attach; dynamic importers take a page reference per mapping, under
/// the reservation, and are told to drop it by <c>move_notify</c>.
/// </summary>
public sealed class GemPrimeDmaBufOps : DmaBufOps
{
    public static readonly GemPrimeDmaBufOps Instance = new();

    private GemPrimeDmaBufOps()
    {
    }

    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override int Attach(DmaBuf dmabuf, DmaBufAttachment attach)
    {
        if (dmabuf.Priv is not GemObject obj || obj.ImportAttach is not null)
        {
            return -Errno.EINVAL;
        }

        return attach.IsDynamic ? 0 : PinForStaticImporter(obj);
    }

    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override void Detach(DmaBuf dmabuf, DmaBufAttachment attach)
    {
        if (dmabuf.Priv is GemObject obj && obj.ImportAttach is null && !attach.IsDynamic)
        {
            UnpinForStaticImporter(obj);
        }
    }

    /// <summary>
    /// <c>drm_gem_map_dma_buf</c>: a fresh sg table of the object's pages (<c>get_sg_table</c>), mapped for the
    /// importer's device. The object's own mapping (for its own device) is not touched.
    /// </summary>
    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    [Begins("dma-mapping", Target = "return", When = ReturnIs.NonNull)]
    public override SgTable? MapDmaBuf(DmaBufAttachment attach, DmaDataDirection dir)
    {
        if (attach.DmaBuf.Priv is not GemObject obj || obj.ImportAttach is not null)
        {
            return null;
        }

        return MapForImporter(obj, attach, dir);
    }

    /// <summary><c>drm_gem_unmap_dma_buf</c>.</summary>
    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    [Ends("dma-mapping", Target = "sgt")]
    public override void UnmapDmaBuf(DmaBufAttachment attach, SgTable sgt, DmaDataDirection dir)
    {
        DmaApi.UnmapSgtable(attach.Dev, sgt, dir);
        sgt.Free();
        if (attach.IsDynamic && attach.DmaBuf.Priv is GemObject obj && obj.ImportAttach is null)
        {
            ReleaseImporterPages(obj);
        }
    }

    /// <summary><c>drm_gem_dmabuf_vmap</c>.</summary>
    [Requires("dmabuf.Resv")]
    [MightSleep]
    [Begins("vmap", Target = "dmabuf", While = "dmabuf.Resv", Counted = true, When = ReturnIs.NonNull)]
    public override GemVmap? Vmap(DmaBuf dmabuf)
    {
        if (dmabuf.Priv is not GemObject obj || obj.ImportAttach is not null)
        {
            return null;
        }

        obj.Resv.AssertHeld();
        return VmapObject(obj);
    }

    /// <summary><c>drm_gem_dmabuf_vunmap</c>.</summary>
    [Requires("dmabuf.Resv")]
    [MightSleep]
    [Ends("vmap", Target = "dmabuf")]
    public override void Vunmap(DmaBuf dmabuf, GemVmap map)
    {
        if (dmabuf.Priv is GemObject obj && obj.ImportAttach is null)
        {
            obj.Resv.AssertHeld();
            VunmapObject(obj, map);
        }
    }

    /// <summary><c>drm_gem_dmabuf_mmap</c>: the exporter maps its own object, with the vma's file left as it is.</summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override int Mmap(DmaBuf dmabuf, Vma vma)
    {
        if (dmabuf.Priv is not GemObject obj || obj.ImportAttach is not null)
        {
            return -Errno.ENODEV;
        }

        return obj.MmapNative(vma);
    }

    /// <summary>Makes the object's pages coherent for CPU access (<c>dma_sync_sgtable_for_cpu</c> on its mapping).</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override int BeginCpuAccess(DmaBuf dmabuf, DmaDataDirection dir)
    {
        if (dmabuf.Priv is GemObject obj && obj.ImportAttach is null)
        {
            SyncObject(obj, dir, forCpu: true);
        }

        return 0;
    }

    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override int EndCpuAccess(DmaBuf dmabuf, DmaDataDirection dir)
    {
        if (dmabuf.Priv is GemObject obj && obj.ImportAttach is null)
        {
            SyncObject(obj, dir, forCpu: false);
        }

        return 0;
    }

    /// <summary><c>drm_gem_dmabuf_release</c>: forgets the export and drops the dma-buf's object reference.</summary>
    [MightSleep]
    [Excludes("dmabuf.Resv")]
    public override void Release(DmaBuf dmabuf)
    {
        if (dmabuf.Priv is not GemObject obj)
        {
            return;
        }

        obj.Dev.ObjectNameLock.Lock();
        if (ReferenceEquals(obj.ExportedDmaBuf, dmabuf))
        {
            obj.ExportedDmaBuf = null;
        }

        obj.Dev.ObjectNameLock.Unlock();
        ClearExported(obj);
        obj.Put();
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    private static int PinForStaticImporter(GemObject obj) => obj.Pin();

    [MightSleep]
    [Excludes("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    private static void UnpinForStaticImporter(GemObject obj) => obj.Unpin();

    [Requires("attach.DmaBuf.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    [MightSleep]
    [Begins("dma-mapping", Target = "return", When = ReturnIs.NonNull)]
    private static SgTable? MapForImporter(GemObject obj, DmaBufAttachment attach, DmaDataDirection dir)
    {
        obj.Resv.AssertHeld();
        if (attach.IsDynamic && obj.GetPagesLocked() != 0)
        {
            return null;
        }

        var sgt = obj.GetSgTableLocked();
        if (sgt is null || DmaApi.MapSgtable(attach.Dev, sgt, dir) != 0)
        {
            sgt?.Free();
            if (attach.IsDynamic)
            {
                obj.PutPagesLocked();
            }

            return null;
        }

        return sgt;
    }

    [RequiresNotState("imported", Target = "obj")]
    [MightSleep]
    private static void ReleaseImporterPages(GemObject obj)
    {
        obj.Resv.AssertHeld();
        obj.PutPagesLocked();
    }

    [Requires("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    [MightSleep]
    private static GemVmap? VmapObject(GemObject obj) => obj.VmapCoreLocked();

    [Requires("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    [MightSleep]
    private static void VunmapObject(GemObject obj, GemVmap map) => obj.VunmapCoreLocked(map);

    [MightSleep]
    [Excludes("obj.Resv")]
    private static void SyncObject(GemObject obj, DmaDataDirection dir, bool forCpu)
    {
        using var guard = obj.Resv.LockScoped();
        if (obj.HasDmaMapping)
        {
            if (forCpu)
            {
                DmaApi.SyncSgForCpu(obj.Dev.DmaDev, obj.Sgt!, dir);
            }
            else
            {
                DmaApi.SyncSgForDevice(obj.Dev.DmaDev, obj.Sgt!, dir);
            }
        }
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static void ClearExported(GemObject obj)
    {
        using var guard = obj.Resv.LockScoped();
        obj.IsExportedLocked = false;
    }
}

/// <summary>
/// The PRIME ioctls' helpers (drm_prime.c): export a handle as a dma-buf, import a dma-buf as a handle, with the
/// per-file cache so that one buffer has one handle per file.
/// </summary>
public static class GemPrime
{
    /// <summary>
    /// <c>drm_gem_prime_handle_to_fd</c>: the dma-buf of the object named by <paramref name="handle"/>, with a new
    /// reference. An imported object re-exports the buffer it came from; a native one is exported once and the
    /// dma-buf cached in the object.
    /// </summary>
    [MightSleep]
    [Excludes("file.PrimeLock")]
    public static int HandleToFd(GemFile file, int handle, out DmaBuf? dmabuf)
    {
        dmabuf = null;
        var obj = file.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        file.PrimeLock.Lock();
        if (obj.ImportAttach is { } attach)
        {
            dmabuf = attach.DmaBuf;
            dmabuf.Get();
        }
        else
        {
            dmabuf = ExportCached(obj);
        }

        if (!file.PrimeLookupLocked(dmabuf, out _))
        {
            file.PrimeAddLocked(dmabuf, handle);
        }

        file.PrimeLock.Unlock();
        obj.Put();
        return 0;
    }

    /// <summary>
    /// <c>drm_gem_prime_fd_to_handle</c>: the handle of <paramref name="dmabuf"/> in <paramref name="file"/>, importing
    /// it the first time. <paramref name="dynamic"/> makes the import a dynamic importer (mapping under the
    /// reservation, following <c>move_notify</c>) instead of pinning the exporter.
    /// </summary>
    [MightSleep]
    [Excludes("file.PrimeLock")]
    public static int FdToHandle(GemFile file, DmaBuf dmabuf, bool dynamic, out int handle)
    {
        file.PrimeLock.Lock();
        if (file.PrimeLookupLocked(dmabuf, out handle))
        {
            file.PrimeLock.Unlock();
            return 0;
        }

        var obj = Import(file.Dev, dmabuf, dynamic);
        if (obj is null)
        {
            file.PrimeLock.Unlock();
            return -Errno.ENOMEM;
        }

        var ret = file.HandleCreate(obj, out handle);
        if (ret == 0)
        {
            file.PrimeAddLocked(dmabuf, handle);
        }

        file.PrimeLock.Unlock();
        obj.Put();
        return ret;
    }

    /// <summary>
    /// <c>drm_gem_prime_import_dev</c>: a buffer this device exported comes back as the original object (no
    /// attachment: it is not "imported"); any other buffer is attached and wrapped in a new imported object.
    /// </summary>
    [MightSleep]
    public static GemObject? Import(GemDevice dev, DmaBuf dmabuf, bool dynamic)
    {
        if (ReferenceEquals(dmabuf.Ops, GemPrimeDmaBufOps.Instance) && dmabuf.Priv is GemObject own && ReferenceEquals(own.Dev, dev))
        {
            own.Get();
            return own;
        }

        return ImportForeign(dev, dmabuf, dynamic);
    }

    /// <summary>
    /// The import of a foreign buffer: attaches <paramref name="dev"/> and creates an object that shares the
    /// buffer's reservation and has <see cref="GemObject.ImportAttach"/> set. Its memory is mapped on first use.
    /// </summary>
    [MightSleep]
    [EnsuresState("imported", Target = "return")]
    public static GemObject? ImportForeign(GemDevice dev, DmaBuf dmabuf, bool dynamic)
    {
        var attach = dynamic
            ? dmabuf.DynamicAttach(dev.DmaDev, GemImportAttachOps.Instance, null)
            : dmabuf.Attach(dev.DmaDev);
        if (attach is null)
        {
            return null;
        }

        dmabuf.Get();
        var obj = GemObject.CreateImported(dev, dmabuf, attach);
        attach.ImporterPriv = obj;
        return obj;
    }

    /// <summary><c>drm_gem_prime_export</c> behind <c>dev->object_name_lock</c>: one dma-buf per object.</summary>
    [MightSleep]
    [RequiresNotState("imported", Target = "obj")]
    private static DmaBuf ExportCached(GemObject obj)
    {
        obj.Dev.ObjectNameLock.Lock();
        var dmabuf = obj.ExportedDmaBuf;
        if (dmabuf is not null)
        {
            dmabuf.Get();
        }
        else
        {
            obj.Get();
            dmabuf = DmaBuf.Export(GemPrimeDmaBufOps.Instance, obj.Size, obj.Resv, obj, obj.Dev.Name);
            MarkExported(obj);
            obj.ExportedDmaBuf = dmabuf;
            dmabuf.Get();
        }

        obj.Dev.ObjectNameLock.Unlock();
        return dmabuf;
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static void MarkExported(GemObject obj)
    {
        using var guard = obj.Resv.LockScoped();
        obj.IsExportedLocked = true;
    }
}

/// <summary>
/// The importer side of a dynamic attachment: on <c>move_notify</c> the imported object unbinds everywhere and its
/// attachment mapping goes with the last binding; it is mapped again on next use.
/// </summary>
public sealed class GemImportAttachOps : DmaBufAttachOps
{
    public static readonly GemImportAttachOps Instance = new();

    private GemImportAttachOps()
    {
    }

    [Requires("attach.DmaBuf.Resv")]
    [MightSleep]
    public override void MoveNotify(DmaBufAttachment attach)
    {
        if (attach.ImporterPriv is GemObject obj && obj.ImportAttach is not null)
        {
            obj.Resv.AssertHeld();
            obj.InvalidateImportLocked();
        }
    }
}
