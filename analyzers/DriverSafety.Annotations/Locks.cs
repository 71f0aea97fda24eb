using System;

namespace DriverSafety
{
    /// <summary>What acquiring a lock of a <see cref="LockTypeAttribute"/> type means for the execution context.</summary>
    public enum LockKind
    {
        /// <summary>Acquiring may sleep; holding it is process context. Kernel analog: <c>struct mutex</c>, <c>struct rw_semaphore</c>.</summary>
        Sleeping = 0,

        /// <summary>Acquiring busy-waits; holding it is atomic context. Kernel analog: <c>spinlock_t</c>, <c>rwlock_t</c>.</summary>
        Spinning = 1,
    }

    /// <summary>
    /// Instances of the annotated type are locks. Kernel analog: <c>struct mutex</c> (<see cref="LockKind.Sleeping"/>)
    /// and <c>spinlock_t</c> (<see cref="LockKind.Spinning"/>); Clang's <c>capability("mutex")</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = true, AllowMultiple = false)]
    public sealed class LockTypeAttribute : Attribute
    {
        /// <summary>Declares the annotated type a lock of the given kind.</summary>
        public LockTypeAttribute(LockKind kind) => Kind = kind;

        /// <summary>Whether acquiring may sleep or holding is atomic context.</summary>
        public LockKind Kind { get; }
    }

    /// <summary>
    /// After the call the named locks are held (no argument means <c>this</c>).
    /// Kernel analog: <c>mutex_lock</c>, <c>spin_lock_irqsave</c>, <c>__acquires</c>; Clang's <c>acquire_capability</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = true)]
    public sealed class AcquiresAttribute : Attribute
    {
        /// <summary>Declares the lock expressions held after the call.</summary>
        public AcquiresAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions (section 4 of the specification); empty means <c>this</c>.</summary>
        public string[] Locks { get; }

        /// <summary>The locks are held shared (reader side of an rw_semaphore: <c>down_read</c>).</summary>
        public bool Shared { get; set; }

        /// <summary>The acquisition also disables IRQs until the matching release (<c>spin_lock_irqsave</c>).</summary>
        public bool DisablesIrqs { get; set; }

        /// <summary>
        /// Lockdep's nesting subclass (<c>mutex_lock_nested(&amp;m, SINGLE_DEPTH_NESTING)</c>): locks of one class taken with
        /// different subclasses may nest, in subclass order. Part of the lock class for lock ordering; 0 by default.
        /// </summary>
        public int Subclass { get; set; }
    }

    /// <summary>
    /// The named locks are held only on the path where the result equals the success value.
    /// Kernel analog: <c>mutex_trylock</c> (true on success), <c>ww_mutex_lock</c>/<c>dma_resv_lock</c>
    /// (0 on success, <c>-EDEADLK</c> to back off), <c>__cond_acquires</c>; Clang's <c>try_acquire_capability</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class TryAcquiresAttribute : Attribute
    {
        /// <summary>For a method returning <c>bool</c>: the locks are held where the result is <paramref name="successValue"/>.</summary>
        public TryAcquiresAttribute(bool successValue, params string[] locks)
        {
            SuccessValue = successValue;
            Locks = locks;
        }

        /// <summary>For a method returning <c>int</c>: the locks are held where the result is <paramref name="successValue"/>.</summary>
        public TryAcquiresAttribute(int successValue, params string[] locks)
        {
            SuccessValue = successValue;
            Locks = locks;
        }

        /// <summary>The result value (a <c>bool</c> or an <c>int</c>) on the path where the locks are held.</summary>
        public object SuccessValue { get; }

        /// <summary>The lock expressions; empty means <c>this</c>.</summary>
        public string[] Locks { get; }

        /// <summary>The locks are held shared on success (<c>down_read_trylock</c>).</summary>
        public bool Shared { get; set; }
    
        /// <summary>
        /// The call may wait for the lock before it answers (<c>mutex_lock_interruptible</c>, <c>ww_mutex_lock</c>): it
        /// can block like an acquire, so it counts for lock order and reclaim. Implied when the method has an
        /// <see cref="AcquireContextAttribute"/> parameter.
        /// </summary>
        public bool Blocking { get; set; }
    }

    /// <summary>
    /// The named locks must be held before the call and are released by it (IRQs re-enabled if their acquisition disabled them).
    /// Kernel analog: <c>mutex_unlock</c>, <c>spin_unlock_irqrestore</c>, <c>__releases</c>; Clang's <c>release_capability</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class ReleasesAttribute : Attribute
    {
        /// <summary>Declares the lock expressions released by the call.</summary>
        public ReleasesAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions; empty means <c>this</c>.</summary>
        public string[] Locks { get; }

        /// <summary>The locks are released from a shared hold (<c>up_read</c>).</summary>
        public bool Shared { get; set; }
    }

    /// <summary>
    /// The caller must hold the named locks. Kernel analog: <c>__must_hold</c>, <c>lockdep_assert_held</c> as a contract;
    /// Clang's <c>requires_capability</c>.
    /// </summary>
    /// <remarks>
    /// On a delegate type, every invocation of the delegate must hold the locks, and every lambda or method converted
    /// to it runs under them; the lock expressions then name the delegate's parameters.
    /// </remarks>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Property | AttributeTargets.Delegate, Inherited = true, AllowMultiple = true)]
    public sealed class RequiresAttribute : Attribute
    {
        /// <summary>Declares the lock expressions the caller must hold.</summary>
        public RequiresAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions.</summary>
        public string[] Locks { get; }

        /// <summary>A shared hold is enough (<c>lockdep_assert_held_read</c>).</summary>
        public bool Shared { get; set; }
    }

    /// <summary>
    /// The caller must not hold the named locks (the callee acquires them). Kernel analog: <c>__must_not_hold</c>;
    /// Clang's <c>locks_excluded</c>.
    /// </summary>
    /// <remarks>On a delegate type, every invocation of the delegate must not hold the locks.</remarks>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Delegate, Inherited = true, AllowMultiple = true)]
    public sealed class ExcludesAttribute : Attribute
    {
        /// <summary>Declares the lock expressions the caller must not hold.</summary>
        public ExcludesAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions.</summary>
        public string[] Locks { get; }
    }

    /// <summary>
    /// After the call the analysis assumes the named locks are held. Kernel analog: <c>lockdep_assert_held</c>,
    /// <c>dma_resv_assert_held</c>; Clang's <c>assert_capability</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class AssertsHeldAttribute : Attribute
    {
        /// <summary>Declares the lock expressions assumed held after the call.</summary>
        public AssertsHeldAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions.</summary>
        public string[] Locks { get; }
    }

    /// <summary>
    /// Reads need the named locks held (shared is enough); writes need them held exclusively.
    /// Kernel analog: <c>__guarded_by</c>, "protected by obj->resv" comments; Clang's <c>guarded_by</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true, AllowMultiple = true)]
    public sealed class GuardedByAttribute : Attribute
    {
        /// <summary>Declares the lock expressions protecting the member.</summary>
        public GuardedByAttribute(params string[] locks) => Locks = locks;

        /// <summary>The lock expressions.</summary>
        public string[] Locks { get; }

        /// <summary>
        /// Only writes need the locks (held exclusively); reads are lock-free snapshots, RCU-style. Kernel analog: an
        /// <c>__rcu</c> pointer published with <c>rcu_assign_pointer</c> under the lock and read with <c>rcu_dereference</c>.
        /// </summary>
        public bool WritesOnly { get; set; }
    }

    /// <summary>
    /// A method annotated <see cref="AcquiresAttribute"/> that returns this type holds the lock until the returned
    /// value is disposed (<c>using var g = resv.LockScoped();</c>). Kernel analog: <c>guard(mutex)(&amp;m)</c>,
    /// <c>scoped_guard</c>; Clang's <c>scoped_lockable</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = true, AllowMultiple = false)]
    public sealed class LockGuardAttribute : Attribute
    {
    }

    /// <summary>
    /// Declared lock order: locks of the annotated class are acquired before those of the named lock classes.
    /// Kernel analog: lockdep priming (<c>might_lock</c> chains, <c>fs_reclaim_acquire</c> ordering); Clang's <c>acquired_before</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Struct, Inherited = true, AllowMultiple = true)]
    public sealed class AcquiredBeforeAttribute : Attribute
    {
        /// <summary>Declares the lock classes that must be acquired after this one.</summary>
        public AcquiredBeforeAttribute(params string[] lockClasses) => LockClasses = lockClasses;

        /// <summary>Lock class names (a field or property <c>Type.Member</c>, or a lock type).</summary>
        public string[] LockClasses { get; }
    }

    /// <summary>
    /// Declared lock order: locks of the annotated class are acquired after those of the named lock classes.
    /// Kernel analog: lockdep priming; Clang's <c>acquired_after</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Struct, Inherited = true, AllowMultiple = true)]
    public sealed class AcquiredAfterAttribute : Attribute
    {
        /// <summary>Declares the lock classes that must be acquired before this one.</summary>
        public AcquiredAfterAttribute(params string[] lockClasses) => LockClasses = lockClasses;

        /// <summary>Lock class names (a field or property <c>Type.Member</c>, or a lock type).</summary>
        public string[] LockClasses { get; }
    }

    /// <summary>
    /// The parameter is an acquire context: acquiring several locks of one class while passing the same context is
    /// the sanctioned (wound/wait) way. Kernel analog: <c>struct ww_acquire_ctx</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = true, AllowMultiple = false)]
    public sealed class AcquireContextAttribute : Attribute
    {
    }

    /// <summary>
    /// Memory reclaim may call this method (shrinker scan, MMU-notifier invalidation); inherited by overrides and
    /// implementations. Kernel analog: the <c>fs_reclaim</c> lockdep map.
    /// </summary>
    /// <remarks>On a delegate type, every lambda or method converted to it runs in reclaim (a shrinker's scan callback).</remarks>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Delegate, Inherited = true, AllowMultiple = false)]
    public sealed class ReclaimContextAttribute : Attribute
    {
    }

    /// <summary>
    /// The body is a primitive's own implementation: it is not analysed, and its contract is taken at its word.
    /// Members of <see cref="LockTypeAttribute"/> and <see cref="LockGuardAttribute"/> types are so by default.
    /// Kernel analog: none (lockdep annotations inside the primitives); Clang's <c>NO_THREAD_SAFETY_ANALYSIS</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
    public sealed class NoAnalysisAttribute : Attribute
    {
    }

    /// <summary>
    /// On a parameter of a delegate type: the method calls the delegate (if at all) before it returns, on the calling
    /// thread, so a lambda passed there runs in the caller's state (its locks, its atomic context).
    /// Kernel analog: none (an iterator callback such as <c>idr_for_each</c>).
    /// </summary>
    [AttributeUsage(AttributeTargets.Parameter, Inherited = true, AllowMultiple = false)]
    public sealed class InvokedBeforeReturnAttribute : Attribute
    {
    }
}
