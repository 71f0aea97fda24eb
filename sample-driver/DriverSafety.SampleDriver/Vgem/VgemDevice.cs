using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.DmaBuf;
using DriverSafety.SampleDriver.Gem;
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;
using DriverSafety.SampleDriver.Resv;

namespace DriverSafety.SampleDriver.Vgem;

/// <summary>An open vgem file: the GEM handle table and the file's fence timeline.</summary>
public sealed class VgemFile
{
    internal VgemFile(VgemDevice dev, string name)
    {
        Device = dev;
        File = new File(name, dev.FileOps, this);
        Gem = new GemFile(dev, File);
        Fences = new VgemFenceTimeline(name);
    }

    /// <summary>The device the file was opened on.</summary>
    public VgemDevice Device { get; }

    /// <summary>The drm fd.</summary>
    public File File { get; }

    /// <summary>The handles of this file.</summary>
    public GemFile Gem { get; }

    /// <summary>The fences attached through this file.</summary>
    public VgemFenceTimeline Fences { get; }
}

/// <summary>
/// The virtual GEM device (drivers/gpu/drm/vgem) with the shmem helpers, a GPU-like address space per file for
/// bindings, userptr objects and a shrinker. Every entry point is an ioctl or a file operation and is called in
/// process context without any lock held.
/// </summary>
public sealed class VgemDevice : GemDevice
{
    private const ulong OffsetStride = 1UL << 20;

    [GuardedBy("OffsetLock")]
    private readonly Dictionary<ulong, GemObject> _offsets = new();

    [GuardedBy("OffsetLock")]
    private readonly Dictionary<GemObject, ulong> _offsetOf = new(ReferenceEqualityComparer.Instance);

    [GuardedBy("OffsetLock")]
    private ulong _nextOffset = 1;

    private VgemDevice(string name, Device dmaDev)
        : base(name, dmaDev)
    {
        FileOps = new VgemFileOps(this);
        Shrinker = new VgemShrinker(this);
    }

    /// <summary>The drm fd's file operations.</summary>
    public FileOperations FileOps { get; }

    /// <summary>The shrinker registered for this device.</summary>
    public VgemShrinker Shrinker { get; }

    /// <summary><c>dev->vma_offset_manager</c>'s lock: the fake mmap offsets of the objects.</summary>
    public SpinLock OffsetLock { get; } = new("VgemDevice.OffsetLock");

    /// <summary><c>vgem_init</c>: creates the device and registers its shrinker.</summary>
    [MightSleep]
    public static VgemDevice Create(string name, Device dmaDev)
    {
        var dev = new VgemDevice(name, dmaDev);
        ShrinkerRegistry.Register(dev.Shrinker);
        return dev;
    }

    /// <summary>Opens a new file on the device.</summary>
    public VgemFile Open(string name) => new(this, name);

    /// <summary>Closes a file: signals its fences and closes its handles (<c>drm_release</c>).</summary>
    [MightSleep]
    public void Close(VgemFile file)
    {
        file.Fences.SignalAll();
        file.Gem.Release();
        file.File.Put();
    }

    /// <summary><c>vgem_gem_dumb_create</c>.</summary>
    [MightSleep]
    public int CreateDumb(VgemFile file, int width, int height, int bpp, out int handle, out long size)
    {
        handle = 0;
        size = 0;
        if (width <= 0 || height <= 0 || bpp <= 0)
        {
            return -Errno.EINVAL;
        }

        var pitch = (long)width * ((bpp + 7) / 8);
        size = (pitch * height + Page.Size - 1) & ~(long)(Page.Size - 1);
        var obj = GemObject.Create(this, size);
        var ret = file.Gem.HandleCreate(obj, out handle);
        obj.Put();
        return ret;
    }

    /// <summary>
    /// <c>drm_gem_dumb_map_offset</c>: the fake offset to mmap the object at through the drm fd. Imported objects get
    /// one too: their mmap is forwarded to the exporter.
    /// </summary>
    [MightSleep]
    public int DumbMapOffset(VgemFile file, int handle, out ulong offset)
    {
        offset = 0;
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        OffsetLock.Lock();
        if (!_offsetOf.TryGetValue(obj, out var pgoff))
        {
            pgoff = _nextOffset * OffsetStride;
            _nextOffset++;
            _offsetOf.Add(obj, pgoff);
            _offsets.Add(pgoff, obj);
        }

        OffsetLock.Unlock();
        offset = pgoff << Page.Shift;
        obj.Put();
        return 0;
    }

    /// <summary>The mmap system call on the drm fd: <c>mm.Mmap</c> with the device file.</summary>
    [MightSleep]
    public long Mmap(MmStruct mm, VgemFile file, ulong offset, ulong length) =>
        mm.Mmap(file.File, length, offset >> Page.Shift, VmFlags.Read | VmFlags.Write | VmFlags.Shared);

    /// <summary><c>DRM_IOCTL_PRIME_HANDLE_TO_FD</c>.</summary>
    [MightSleep]
    public int PrimeHandleToFd(VgemFile file, int handle, out DmaBuf.DmaBuf? dmabuf) =>
        GemPrime.HandleToFd(file.Gem, handle, out dmabuf);

    /// <summary><c>DRM_IOCTL_PRIME_FD_TO_HANDLE</c>; vgem imports as a dynamic importer.</summary>
    [MightSleep]
    public int PrimeFdToHandle(VgemFile file, DmaBuf.DmaBuf dmabuf, out int handle) =>
        GemPrime.FdToHandle(file.Gem, dmabuf, dynamic: true, out handle);

    /// <summary>
    /// <c>VGEM_FENCE_ATTACH</c>: adds a new unsignalled fence to the object's reservation (as a writer or a reader)
    /// and returns its id.
    /// </summary>
    [MightSleep]
    public int FenceAttach(VgemFile file, int handle, bool write, out int fenceId)
    {
        fenceId = 0;
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        var fence = file.Fences.Create();
        var ret = AddFenceToObject(obj, fence, write ? DmaResvUsage.Write : DmaResvUsage.Read);
        obj.Put();
        if (ret != 0)
        {
            fence.Signal();
            return ret;
        }

        fenceId = file.Fences.Register(fence);
        return 0;
    }

    /// <summary><c>VGEM_FENCE_SIGNAL</c>.</summary>
    [MightSleep]
    public int FenceSignal(VgemFile file, int fenceId) => file.Fences.Signal(fenceId);

    /// <summary>
    /// A job over several objects (an execbuf): locks all their reservations with one acquire context (backing off on
    /// -EDEADLK), adds one fence to each, and returns the fence id.
    /// </summary>
    [MightSleep]
    public int Submit(VgemFile file, IReadOnlyList<int> handles, bool write, out int fenceId)
    {
        fenceId = 0;
        var objects = new List<GemObject>();
        var ret = 0;
        foreach (var handle in handles)
        {
            var obj = file.Gem.Lookup(handle);
            if (obj is null)
            {
                ret = -Errno.EINVAL;
                break;
            }

            objects.Add(obj);
        }

        var fence = file.Fences.Create();
        if (ret == 0)
        {
            var set = new GemLockSet(objects);
            ret = set.Lock();
            if (ret == 0)
            {
                ret = set.ReserveFences(1);
                if (ret == 0)
                {
                    set.AddFence(fence, write ? DmaResvUsage.Write : DmaResvUsage.Read);
                }

                set.Unlock();
            }
        }

        foreach (var obj in objects)
        {
            obj.Put();
        }

        if (ret != 0)
        {
            fence.Signal();
            return ret;
        }

        fenceId = file.Fences.Register(fence);
        return 0;
    }

    /// <summary><c>DRM_IOCTL_VGEM_MADVISE</c>-style: marks the contents (not) needed; <paramref name="retained"/> is false once purged.</summary>
    [MightSleep]
    public int Madvise(VgemFile file, int handle, GemMadvise madv, out bool retained)
    {
        retained = false;
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        retained = MadviseObject(obj, madv);
        obj.Put();
        return 0;
    }

    /// <summary>
    /// Evicts an object (moves it out of its pages, as TTM would move a buffer): dynamic importers are told to drop
    /// their mappings under the reservation first. Imported objects are the exporter's to move.
    /// </summary>
    [MightSleep]
    public int Evict(VgemFile file, int handle)
    {
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        var ret = obj.ImportAttach is not null ? -Errno.EINVAL : EvictNative(obj);
        obj.Put();
        return ret;
    }

    /// <summary>Binds an object into <paramref name="vm"/>; userptr objects pin their pages first.</summary>
    [MightSleep]
    public int Bind(VgemFile file, int handle, AddressSpace vm, out ulong gpuAddress)
    {
        gpuAddress = 0;
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        var ret = -Errno.EAGAIN;
        for (var attempt = 0; attempt < 8 && ret == -Errno.EAGAIN; attempt++)
        {
            if (obj is VgemUserptrObject userptr)
            {
                ret = userptr.PrepareUserPages();
                if (ret != 0)
                {
                    break;
                }
            }

            ret = BindObject(obj, vm, out gpuAddress);
        }

        obj.Put();
        return ret;
    }

    /// <summary>Unbinds an object from <paramref name="vm"/>.</summary>
    [MightSleep]
    public int Unbind(VgemFile file, int handle, AddressSpace vm)
    {
        var obj = file.Gem.Lookup(handle);
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        var ret = UnbindObject(obj, vm);
        obj.Put();
        return ret;
    }

    /// <summary>Creates a userptr object over <c>[userAddress, userAddress + size)</c> of <paramref name="mm"/>.</summary>
    [MightSleep]
    public int Userptr(VgemFile file, MmStruct mm, ulong userAddress, long size, out int handle)
    {
        handle = 0;
        var ret = VgemUserptrObject.Create(this, mm, userAddress, size, out var obj);
        if (ret != 0 || obj is null)
        {
            return ret != 0 ? ret : -Errno.ENOMEM;
        }

        ret = file.Gem.HandleCreate(obj, out handle);
        obj.Put();
        return ret;
    }

    /// <summary>Unregisters the shrinker and stops the device.</summary>
    [MightSleep]
    public override void Teardown()
    {
        ShrinkerRegistry.Unregister(Shrinker);
        OffsetLock.Lock();
        _offsets.Clear();
        _offsetOf.Clear();
        OffsetLock.Unlock();
        base.Teardown();
    }

    /// <summary>Forgets the fake offset of an object (<c>drm_gem_free_mmap_offset</c>) when it goes.</summary>
    protected internal override void OnObjectFree(GemObject obj)
    {
        OffsetLock.Lock();
        if (_offsetOf.Remove(obj, out var pgoff))
        {
            _offsets.Remove(pgoff);
        }

        OffsetLock.Unlock();
    }

    /// <summary>
    /// <c>drm_gem_mmap</c> + <c>drm_gem_shmem_mmap</c>: finds the object by the fake offset, makes <c>vm_pgoff</c>
    /// relative to it, and maps a native object itself or forwards an imported one to its exporter with
    /// <c>dma_buf_mmap</c> — which leaves <c>vm_file</c> alone (seed 001).
    /// </summary>
    [Requires("vma.Mm.MmapLock")]
    [MightSleep]
    internal int MmapFromFile(Vma vma)
    {
        GemObject? obj = null;
        ulong start = 0;
        OffsetLock.Lock();
        foreach (var pair in _offsets)
        {
            if (vma.VmPgoff >= pair.Key && vma.VmPgoff < pair.Key + OffsetStride && pair.Value.TryGet())
            {
                obj = pair.Value;
                start = pair.Key;
                break;
            }
        }

        OffsetLock.Unlock();
        if (obj is null)
        {
            return -Errno.EINVAL;
        }

        vma.VmPgoff -= start;
        int ret;
        if (obj.ImportAttach is { } attach)
        {
            ret = attach.DmaBuf.Mmap(vma, vma.VmPgoff);
        }
        else if (obj is VgemUserptrObject)
        {
            ret = -Errno.EINVAL;
        }
        else
        {
            ret = obj.MmapNative(vma);
        }

        obj.Put();
        return ret;
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static int AddFenceToObject(GemObject obj, DmaFence fence, DmaResvUsage usage)
    {
        using var guard = obj.Resv.LockScoped();
        var ret = obj.Resv.ReserveFences(1);
        if (ret == 0)
        {
            obj.Resv.AddFence(fence, usage);
        }

        return ret;
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static bool MadviseObject(GemObject obj, GemMadvise madv)
    {
        using var guard = obj.Resv.LockScoped();
        return obj.MadviseLocked(madv);
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    [RequiresNotState("imported", Target = "obj")]
    private static int EvictNative(GemObject obj)
    {
        obj.Dev.ObjectNameLock.Lock();
        var exported = obj.ExportedDmaBuf;
        exported?.Get();
        obj.Dev.ObjectNameLock.Unlock();

        int ret;
        using (var guard = obj.Resv.LockScoped())
        {
            ret = obj.EvictLocked(exported);
        }

        exported?.Put();
        return ret;
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static int BindObject(GemObject obj, AddressSpace vm, out ulong gpuAddress)
    {
        gpuAddress = 0;
        using var guard = obj.Resv.LockScoped();
        var ret = vm.Bind(obj, out var vma);
        if (ret == 0 && vma is not null)
        {
            gpuAddress = vma.Start;
        }

        return ret;
    }

    [MightSleep]
    [Excludes("obj.Resv")]
    private static int UnbindObject(GemObject obj, AddressSpace vm)
    {
        using var guard = obj.Resv.LockScoped();
        var vma = obj.FindVmaLocked(vm);
        if (vma is null)
        {
            return -Errno.EINVAL;
        }

        vm.UnbindLocked(obj, vma);
        return 0;
    }

    /// <summary>The drm fd's file operations.</summary>
    private sealed class VgemFileOps : FileOperations
    {
        private readonly VgemDevice _dev;

        public VgemFileOps(VgemDevice dev) => _dev = dev;

        [Requires("vma.Mm.MmapLock")]
        [MightSleep]
        public override int Mmap(File file, Vma vma) => _dev.MmapFromFile(vma);
    }
}
