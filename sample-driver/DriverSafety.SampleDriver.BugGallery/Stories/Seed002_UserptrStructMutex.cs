// Seed 002: "Re: [Linaro-mm-sig] [PATCH 1/5] dma-buf: add optional invalidate_mappings callback v2", Daniel Vetter and
// Christian König, dri-devel / linaro-mm-sig, 22 Mar 2018.
//
// The story. i915's userptr objects are user memory behind an MMU notifier. Reclaim unmaps user pages and calls the
// notifier, and the notifier took dev->struct_mutex to unbind the object. Meanwhile the get-pages path held
// struct_mutex around GFP_KERNEL allocations (the page vector) and around get_user_pages(), which takes mmap_sem.
// König: "Any lock you grab in an MMU callback can't be even held when you call kmalloc() or get_free_page()
// (without GFP_NOIO)": the allocation can enter reclaim, reclaim calls the notifier, the notifier waits for
// struct_mutex, held by the allocating thread. And the page fault path takes struct_mutex under mmap_sem, so
// get_user_pages() under struct_mutex is an AB-BA between the two. Vetter: the mm locks "do _not_ nest within
// dev->struct_mutex ... We have massive back-off slowpaths to do anything that could fault outside of our own main
// gem locking".
//
// The fix. Allocate and pin the user pages before taking struct_mutex (mmap_sem is never taken under it), and keep
// struct_mutex out of the notifier: the invalidation only try-locks and leaves the rest to a worker, as the sample
// driver's VgemUserptrObject does.
//
// Rules: DRV1008 (the GFP_KERNEL allocation under a lock the notifier takes) and DRV1007 (mmap_sem under
// struct_mutex against the fault path's order).
using DriverSafety.SampleDriver.Kernel;
using DriverSafety.SampleDriver.Mm;

namespace DriverSafety.SampleDriver.BugGallery.Seed002UserptrStructMutex;

internal static class Buggy
{
    internal sealed class I915
    {
        internal readonly Mutex StructMutex = new("i915.struct_mutex");

        [GuardedBy("StructMutex")]
        internal Page[]? Pvec;
    }

    /// <summary>i915_gem_userptr_get_pages, all of it under struct_mutex.</summary>
    internal static int GetPages(I915 i915, MmStruct mm, ulong start, int nPages)
    {
        i915.StructMutex.Lock();
        var storage = Slab.Kmalloc(nPages * 8, Gfp.Kernel); // DRV1008
        var pages = new Page[nPages];
        mm.MmapLock.DownRead(); // DRV1007
        var pinned = UserPages.PinUserPages(mm, start, nPages, pages);
        mm.MmapLock.UpRead();
        i915.Pvec = pinned == nPages ? pages : null;
        i915.StructMutex.Unlock();
        Slab.Kfree(storage);
        return pinned == nPages ? 0 : -Errno.EFAULT;
    }

    /// <summary>The GEM fault handler: the fault entry holds mmap_sem, the handler takes struct_mutex.</summary>
    internal static void Fault(I915 i915, MmStruct mm)
    {
        mm.MmapLock.DownRead();
        i915.StructMutex.Lock();
        i915.Pvec = null;
        i915.StructMutex.Unlock();
        mm.MmapLock.UpRead();
    }

    internal sealed class UserptrNotifier : MmuNotifier
    {
        private readonly I915 _i915;

        internal UserptrNotifier(I915 i915) => _i915 = i915;

        /// <summary>Reclaim calls this: it takes struct_mutex, which makes struct_mutex a reclaim lock.</summary>
        [ReclaimContext]
        [MightSleep]
        public override int InvalidateRangeStart(MmuNotifierRange range)
        {
            _i915.StructMutex.Lock();
            _i915.Pvec = null;
            _i915.StructMutex.Unlock();
            return 0;
        }
    }
}

internal static class Fixed
{
    internal sealed class I915
    {
        internal readonly Mutex StructMutex = new("i915.struct_mutex");

        [GuardedBy("StructMutex")]
        internal Page[]? Pvec;
    }

    /// <summary>Allocate and pin first, with no GEM lock held; struct_mutex only publishes the result.</summary>
    internal static int GetPages(I915 i915, MmStruct mm, ulong start, int nPages)
    {
        var storage = Slab.Kmalloc(nPages * 8, Gfp.Kernel);
        var pages = new Page[nPages];
        var pinned = UserPages.PinUserPagesFast(mm, start, nPages, pages);
        i915.StructMutex.Lock();
        i915.Pvec = pinned == nPages ? pages : null;
        i915.StructMutex.Unlock();
        Slab.Kfree(storage);
        return pinned == nPages ? 0 : -Errno.EFAULT;
    }

    internal static void Fault(I915 i915, MmStruct mm)
    {
        mm.MmapLock.DownRead();
        i915.StructMutex.Lock();
        i915.Pvec = null;
        i915.StructMutex.Unlock();
        mm.MmapLock.UpRead();
    }

    internal sealed class UserptrNotifier : MmuNotifier
    {
        private readonly I915 _i915;

        internal UserptrNotifier(I915 i915) => _i915 = i915;

        /// <summary>Only a try-lock in reclaim: struct_mutex is no reclaim lock (the busy case goes to a worker).</summary>
        [ReclaimContext]
        [MightSleep]
        public override int InvalidateRangeStart(MmuNotifierRange range)
        {
            if (!_i915.StructMutex.TryLock())
            {
                return -Errno.EAGAIN;
            }

            _i915.Pvec = null;
            _i915.StructMutex.Unlock();
            return 0;
        }
    }
}
