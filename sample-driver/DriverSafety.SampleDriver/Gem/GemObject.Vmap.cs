using Interlocked = System.Threading.Interlocked;
using Volatile = System.Threading.Volatile;
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.DmaBuf;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>Kernel mappings in the two flavours of seed 003: under the reservation lock until vunmap, or of a pinned object.</summary>
public partial class GemObject
{
    /// <summary>
    /// <c>drm_gem_vmap</c> with the reservation lock held (seed 003, first flavour): the mapping is only valid while
    /// the lock stays held, because without a pin the object may move as soon as it is released. Null on failure.
    /// </summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Begins("vmap", While = "Resv", Counted = true, When = ReturnIs.NonNull)]
    public GemVmap? Vmap() => VmapCoreLocked();

    /// <summary><c>drm_gem_vunmap</c> with the reservation lock held.</summary>
    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    [Ends("vmap")]
    public void Vunmap(GemVmap map) => VunmapCoreLocked(map);

    /// <summary>
    /// <c>dma_buf_vmap</c> of a pinned buffer (seed 003, second flavour): the pin keeps the pages in place, so the
    /// mapping outlives the reservation lock, which this takes and drops itself. Null on failure.
    /// </summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresState("pinned")]
    [RequiresNotState("imported")]
    [Begins("pinned-vmap", Counted = true, When = ReturnIs.NonNull)]
    public GemVmap? VmapPinned()
    {
        using var guard = Resv.LockScoped();
        if (_pinCount == 0)
        {
            Dev.Warn($"vmap_pinned of object {Name} that is not pinned");
            return null;
        }

        return VmapCoreLocked();
    }

    /// <summary>The unmap of <see cref="VmapPinned"/>; the pin is still held (it is dropped after this).</summary>
    [MightSleep]
    [Excludes("Resv")]
    [RequiresState("pinned")]
    [RequiresNotState("imported")]
    [Ends("pinned-vmap")]
    public void VunmapPinned(GemVmap map)
    {
        using var guard = Resv.LockScoped();
        VunmapCoreLocked(map);
    }

    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal GemVmap? VmapCoreLocked()
    {
        Resv.AssertHeld();
        if (_vmapUseCount > 0 && _vmap is not null)
        {
            _vmapUseCount++;
            return _vmap;
        }

        if (GetPagesLocked() != 0)
        {
            return null;
        }

        _vmap = new GemVmap(_pages!, Size);
        _vmapUseCount = 1;
        UpdateLruLocked();
        return _vmap;
    }

    [Requires("Resv")]
    [RequiresNotState("imported")]
    [MightSleep]
    internal void VunmapCoreLocked(GemVmap map)
    {
        Resv.AssertHeld();
        if (_vmapUseCount <= 0 || !ReferenceEquals(map, _vmap))
        {
            Dev.Warn($"vunmap of object {Name} with a mapping it did not hand out");
            return;
        }

        if (--_vmapUseCount == 0)
        {
            _vmap = null;
            PutPagesLocked();
            UpdateLruLocked();
        }
    }
}
