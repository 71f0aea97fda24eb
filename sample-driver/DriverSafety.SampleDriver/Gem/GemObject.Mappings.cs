using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.DmaBuf;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>CPU mmap of native objects (seed 001) and the GPU bindings that share the one DMA mapping.</summary>
public partial class GemObject
{
    /// <summary>
    /// <c>drm_gem_shmem_mmap</c> for a native object: takes a page reference for the lifetime of the mapping and
    /// installs the fault handler. An imported object must be forwarded to its exporter instead (seed 001).
    /// </summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    [Excludes("Resv")]
    [RequiresNotState("imported")]
    public int MmapNative(Vma vma)
    {
        if (vma.VmPgoff != 0 && (long)vma.VmPgoff * Page.Size >= Size)
        {
            return -Errno.EINVAL;
        }

        if ((long)vma.Length > Size)
        {
            return -Errno.EINVAL;
        }

        var ret = Resv.LockInterruptible(null);
        if (ret != 0)
        {
            return ret;
        }

        ret = GetPagesLocked();
        if (ret == 0)
        {
            _mmapCount++;
            UpdateLruLocked();
        }

        Resv.Unlock();
        if (ret != 0)
        {
            return ret;
        }

        Get();
        vma.VmFlags |= VmFlags.DontExpand | VmFlags.DontDump;
        vma.VmPrivateData = this;
        vma.VmOps = GemVmOps.Instance;
        return 0;
    }

    /// <summary>The mapping's close: drops the page reference <see cref="MmapNative"/> took.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal void MmapCloseLocked()
    {
        _mmapCount--;
        PutPagesLocked();
        UpdateLruLocked();
    }

    /// <summary>
    /// The backing a GPU binding needs: the pages (native) or the attachment's mapping (imported). Both carry the one
    /// DMA mapping of <see cref="Sgt"/>; a second binding only takes another reference.
    /// </summary>
    [Requires("Resv")]
    [MightSleep]
    internal int GetBackingForBindLocked()
    {
        if (ImportAttach is not null)
        {
            return ImportGetLocked();
        }

        return GetPagesLocked();
    }

    /// <summary>Releases what <see cref="GetBackingForBindLocked"/> took.</summary>
    [Requires("Resv")]
    [MightSleep]
    internal void PutBackingForBindLocked()
    {
        if (ImportAttach is not null)
        {
            ImportPutLocked();
        }
        else
        {
            PutPagesLocked();
        }
    }

    [Requires("Resv")]
    [MightSleep]
    internal void AddVmaLocked(GemVma vma)
    {
        _vmas.Add(vma);
        UpdateLruLocked();
    }

    [Requires("Resv")]
    [MightSleep]
    internal void RemoveVmaLocked(GemVma vma)
    {
        _vmas.Remove(vma);
        UpdateLruLocked();
    }

    /// <summary>The binding of this object in <paramref name="vm"/>, if any.</summary>
    [Requires("Resv")]
    public GemVma? FindVmaLocked(AddressSpace vm)
    {
        foreach (var vma in _vmas)
        {
            if (ReferenceEquals(vma.Vm, vm))
            {
                return vma;
            }
        }

        return null;
    }

    /// <summary><c>i915_gem_object_unbind</c>: unbinds the object from every address space.</summary>
    [Requires("Resv")]
    [MightSleep]
    public void UnbindAllLocked()
    {
        while (_vmas.Count > 0)
        {
            var vma = _vmas[^1];
            vma.Vm.UnbindLocked(this, vma);
        }
    }

    /// <summary>
    /// The importer's side of <c>move_notify</c>: the exporter is moving the memory, so every binding and the
    /// attachment mapping of this imported object must go. Called with the shared reservation held.
    /// </summary>
    [Requires("Resv")]
    [RequiresState("imported")]
    [MightSleep]
    internal void InvalidateImportLocked()
    {
        UnbindAllLocked();
        if (_importUseCount != 0)
        {
            Dev.Warn($"imported object {Name} still has {_importUseCount} mapping users after move_notify");
        }
    }
}
