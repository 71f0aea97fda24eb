using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers
{
    /// <summary>Every rule id and <see cref="DiagnosticDescriptor"/> of the product, in one place (SPEC section 5).</summary>
    internal static class Descriptors
    {
        public const string HelpLinkBase = "https://github.com/driversafety/driversafety/blob/main/docs/rules/";

        private const string Locking = "DriverSafety.Locking";
        private const string Annotations = "DriverSafety.Annotations";
        private const string Context = "DriverSafety.Context";
        private const string Lifetimes = "DriverSafety.Lifetimes";

        public const string GuardedMemberWithoutLockId = "DRV1001";
        public const string RequiredLockNotHeldId = "DRV1002";
        public const string LockNotReleasedId = "DRV1003";
        public const string ReleaseOfLockNotHeldId = "DRV1004";
        public const string LockAcquiredTwiceId = "DRV1005";
        public const string ExcludedLockHeldId = "DRV1006";
        public const string LockOrderInversionId = "DRV1007";
        public const string AllocationRecursesIntoReclaimId = "DRV1008";
        public const string LockHeldOnSomePathsId = "DRV1009";
        public const string NestedLocksOfOneClassId = "DRV1010";
        public const string MethodBreaksLockContractId = "DRV1011";
        public const string IrqSafeLockWithIrqsEnabledId = "DRV1012";
        public const string SleepInAtomicContextId = "DRV2001";
        public const string CallNeedsIrqsEnabledId = "DRV2002";
        public const string UnbalancedContextId = "DRV2003";
        public const string AllocationFlagsUnknownId = "DRV2004";
        public const string PublicMemberMaySleepId = "DRV9003";
        public const string ResourceNotEndedId = "DRV3001";
        public const string ResourceBegunTwiceId = "DRV3002";
        public const string EndDoesNotMatchBeginId = "DRV3003";
        public const string EndWithoutBeginId = "DRV3004";
        public const string RequiredStateNotEstablishedId = "DRV3005";
        public const string LockReleasedWhileResourceDependsId = "DRV3006";
        public const string NoReassignAssignedId = "DRV3007";
        public const string MappingUsedBeforeCheckId = "DRV3008";
        public const string SuppressionWithoutJustificationId = "DRV9004";
        public const string AnnotationDoesNotResolveId = "DRV9001";
        public const string AnnotationMisappliedId = "DRV9002";
        public const string ExternalAnnotationMalformedId = "DRV9005";

        public static readonly DiagnosticDescriptor GuardedMemberWithoutLock = Create(
            GuardedMemberWithoutLockId, Locking,
            "Guarded member accessed without its lock",
            "{0} of '{1}' requires lock '{2}' held{3}",
            "A [GuardedBy] field or property is read without the lock held (shared is enough) or written without it held exclusively.");

        public static readonly DiagnosticDescriptor RequiredLockNotHeld = Create(
            RequiredLockNotHeldId, Locking,
            "Required lock not held",
            "Calling '{0}' requires lock '{1}' held{2}",
            "A member annotated [Requires] is called without the lock held (kernel: __must_hold, lockdep_assert_held).");

        public static readonly DiagnosticDescriptor LockNotReleased = Create(
            LockNotReleasedId, Locking,
            "Lock not released",
            "Lock '{0}' acquired here is still held where '{1}' exits ({2}){3}",
            "A lock acquired in the method is still held when the method returns (or throws), and the method does not declare [Acquires] for it.");

        public static readonly DiagnosticDescriptor ReleaseOfLockNotHeld = Create(
            ReleaseOfLockNotHeldId, Locking,
            "Release of a lock that is not held",
            "Releasing lock '{0}' that is not held{1}",
            "A lock is released where it is not held: a double unlock, or an unlock on a path that never locked.");

        public static readonly DiagnosticDescriptor LockAcquiredTwice = Create(
            LockAcquiredTwiceId, Locking,
            "Lock acquired twice",
            "Acquiring lock '{0}' that is already held{1}: self-deadlock",
            "A lock is acquired while it is already held, directly or through a callee: a non-recursive kernel lock deadlocks on itself.");

        public static readonly DiagnosticDescriptor ExcludedLockHeld = Create(
            ExcludedLockHeldId, Locking,
            "Excluded lock held",
            "Calling '{0}' while holding lock '{1}', which it excludes",
            "A member annotated [Excludes] (kernel: __must_not_hold) is called while the lock is held.");

        /// <summary>Reported at compilation end: which locks reclaim takes is a whole-program fact.</summary>
        public static readonly DiagnosticDescriptor AllocationRecursesIntoReclaim = Create(
            AllocationRecursesIntoReclaimId, Locking,
            "Allocation may recurse into reclaim under a reclaim lock",
            "'{0}'{1} may recurse into reclaim (its flags may contain {2}) while {3}",
            "An allocation that may enter direct reclaim (it may sleep and its flags contain a reclaim flag such as __GFP_FS or __GFP_IO) is made while holding a lock that reclaim itself takes (a shrinker or MMU notifier acquires it), or inside reclaim context: reclaim can wait on that lock, or recurse into itself (kernel: lockdep's fs_reclaim dependency).",
            WellKnownDiagnosticTags.CompilationEnd);

        /// <summary>
        /// Reported at compilation end for cycles (inferred, and a declared order that is itself cyclic), and live from
        /// the body's walk for an acquisition against the declared order; the tag says that it can come at the end.
        /// </summary>
        public static readonly DiagnosticDescriptor LockOrderInversion = Create(
            LockOrderInversionId, Locking,
            "Lock-order inversion",
            "Lock-order inversion: {0}",
            "Lock classes are acquired in an order that can deadlock: the compilation's lock-order graph (nesting inferred through calls, plus the [AcquiredBefore]/[AcquiredAfter] order) has a cycle of two or more classes, or an acquisition goes against the declared order (kernel: lockdep's circular locking dependency).",
            WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor NestedLocksOfOneClass = Create(
            NestedLocksOfOneClassId, Locking,
            "Nested locks of one class without acquire context",
            "Acquiring '{0}' while holding '{1}'{2} of the same lock class '{3}' {4}: two locks of one class nest only with lockdep subclasses or one wound/wait acquire context",
            "Two locks of the same class are held together and were not both acquired passing one [AcquireContext] argument: two threads taking them in opposite orders deadlock (kernel: lockdep's possible recursive locking; ww_mutex with one ww_acquire_ctx, or mutex_lock_nested).");

        public static readonly DiagnosticDescriptor LockHeldOnSomePaths = Create(
            LockHeldOnSomePathsId, Locking,
            "Lock held on some paths only",
            "Lock '{0}' {1} held on some paths reaching {2} and not on others",
            "At a merge point inside the body a lock is held on some incoming paths and not on others.");

        public static readonly DiagnosticDescriptor MethodBreaksLockContract = Create(
            MethodBreaksLockContractId, Locking,
            "Method breaks its own lock contract",
            "'{0}' declares that it {1} lock '{2}', but {3} at this exit",
            "A method declared [Acquires], [Releases] or [Requires] does not hold, release, or hold again the lock at every exit.");

        public static readonly DiagnosticDescriptor IrqSafeLockWithIrqsEnabled = new DiagnosticDescriptor(
            IrqSafeLockWithIrqsEnabledId,
            "IRQ-safe lock taken with IRQs enabled",
            "Lock '{0}' is acquired here in {1} with IRQs enabled, and in IRQ context in {2}{3}: an IRQ that arrives while it is held here spins on it forever; take it with IRQs disabled (an irqsave acquire)",
            Locking, DiagnosticSeverity.Warning, isEnabledByDefault: true,
            description: "A lock class acquired in IRQ context (an [AtomicContext(IrqsOff = true)] body, a hard IRQ handler, or its callees) is also acquired with IRQs enabled: lockdep's inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.",
            helpLinkUri: HelpLinkBase + IrqSafeLockWithIrqsEnabledId + ".md",
            customTags: WellKnownDiagnosticTags.CompilationEnd);

        public static readonly DiagnosticDescriptor SleepInAtomicContext = Create(
            SleepInAtomicContextId, Context,
            "Sleeping call in atomic context",
            "'{0}' may sleep{1} ({2}) while {3}",
            "A call that may sleep (annotated [MightSleep], an allocation whose flags may contain a may-sleep bit, a blocking .NET call, a sleeping lock, or inferred through the callees' bodies) is made while a spinning lock is held, IRQs are off, the atomic depth is raised, or in an [AtomicContext] body (kernel: might_sleep, \"BUG: sleeping function called from invalid context\").");

        public static readonly DiagnosticDescriptor CallNeedsIrqsEnabled = Create(
            CallNeedsIrqsEnabledId, Context,
            "Call needs IRQs enabled",
            "'{0}' needs IRQs enabled{1}, but {2}",
            "A member annotated [RequiresIrqsEnabled] (kernel: dma_free_coherent) is called, directly or through its callees, while IRQs are disabled.");

        public static readonly DiagnosticDescriptor UnbalancedContext = Create(
            UnbalancedContextId, Context,
            "Unbalanced atomic or IRQ state",
            "'{0}' {1}",
            "A method exits with a different atomic or IRQ-off depth than its annotations declare, on some path, or lowers a depth below zero (kernel: local_irq_save without local_irq_restore, preempt_count leak).");

        public static readonly DiagnosticDescriptor AllocationFlagsUnknown = Create(
            AllocationFlagsUnknownId, Context,
            "Allocation flags unknown in atomic context",
            "'{0}' allocates{1} with flags whose may-sleep bits are not known ({2}) while {3}",
            "In atomic context, an allocation whose flags cannot be resolved to a constant or to the caller's argument: whether it may sleep cannot be told.");

        public static readonly DiagnosticDescriptor PublicMemberMaySleep = new DiagnosticDescriptor(
            PublicMemberMaySleepId,
            "Public member may sleep but is not annotated",
            "'{0}' may sleep ({1}: {2}) but is not annotated [MightSleep]{3}",
            Annotations, DiagnosticSeverity.Info, isEnabledByDefault: true,
            description: "A public or protected method inferred to sleep lacks [MightSleep]: callers in other assemblies, where only annotations count, cannot see it sleeps.",
            helpLinkUri: HelpLinkBase + PublicMemberMaySleepId + ".md");
        public static readonly DiagnosticDescriptor ResourceNotEnded = Create(
            ResourceNotEndedId, Lifetimes,
            "Resource not ended",
            "'{0}' begun here on '{1}' is still open where '{2}' exits ({3}){4}",
            "A resource begun in the method (a DMA mapping, a vmap, a pin, CPU access) is not ended on some path, and is neither stored, returned, nor declared by the method's own [Begins]; a resource on a parameter's or field's target must be unwound on every failure exit.");

        public static readonly DiagnosticDescriptor ResourceBegunTwice = Create(
            ResourceBegunTwiceId, Lifetimes,
            "Resource begun twice",
            "Beginning '{0}' on '{1}', which {2}: prove it free first (a [StateTest] branch, a [RequiresNotState] contract, or an [EnsuresNotState] or [Ends] call earlier on the path)",
            "An exclusive resource (a DMA mapping) is begun on a target that has it, may have it on some path, or is not proved free of it: the double mapping of seed 000.");

        public static readonly DiagnosticDescriptor EndDoesNotMatchBegin = Create(
            EndDoesNotMatchBeginId, Lifetimes,
            "End does not match begin",
            "Ending '{0}' on '{1}' with {2} '{3}', but it was begun with '{4}'{5}",
            "An [Ends] call's Match arguments differ from those of the call that began the resource (dma_free_coherent with another size, unmap with another direction).");

        public static readonly DiagnosticDescriptor EndWithoutBegin = Create(
            EndWithoutBeginId, Lifetimes,
            "End without begin",
            "Ending '{0}' on '{1}', which {2}",
            "A resource is ended where the target is known not to have it on some path reaching the call: a double unmap, or an unmap after a failed map.");

        public static readonly DiagnosticDescriptor RequiredStateNotEstablished = Create(
            RequiredStateNotEstablishedId, Lifetimes,
            "Required state not established",
            "Calling '{0}' requires '{1}' {2} '{3}', but {4}",
            "A [RequiresState]/[RequiresNotState] member is called where the target's state is not proved by a [StateTest] branch, a contract, or an earlier call.");

        public static readonly DiagnosticDescriptor LockReleasedWhileResourceDepends = Create(
            LockReleasedWhileResourceDependsId, Lifetimes,
            "Lock released while a resource depends on it",
            "Releasing lock '{0}' while '{1}' begun on '{2}' depends on it: end it before the release",
            "A lock is released while a resource begun with While = that lock is still open (a vmap must stay under the reservation lock until vunmap).");

        public static readonly DiagnosticDescriptor NoReassignAssigned = Create(
            NoReassignAssignedId, Lifetimes,
            "Assignment to a no-reassign member",
            "'{0}' is [NoReassign]: it may be assigned only in constructors, initializers and members of '{1}'",
            "A [NoReassign] member is assigned outside constructors, initializers and the members of its declaring type (vma->vm_file, seed 001).");

        public static readonly DiagnosticDescriptor MappingUsedBeforeCheck = Create(
            MappingUsedBeforeCheckId, Lifetimes,
            "Mapping used before its error check",
            "The handle '{0}' of '{1}' begun here is {2} before it is passed to '{3}'",
            "A mapping handle whose [Begins] names CheckedBy is stored, passed or returned on a path where it was not first passed to that method (dma_mapping_error).");

        public static readonly DiagnosticDescriptor SuppressionWithoutJustification = new DiagnosticDescriptor(
            SuppressionWithoutJustificationId,
            "DriverSafety suppression without a justification",
            "{0} suppresses a DriverSafety rule without saying why: add {1}",
            Annotations, DiagnosticSeverity.Info, isEnabledByDefault: true,
            description: "A #pragma warning disable of a DriverSafety rule without a comment on its line, or a [SuppressMessage] for one without a Justification: the reason a locking, context or lifetime finding does not apply must be written where it is silenced.",
            helpLinkUri: HelpLinkBase + SuppressionWithoutJustificationId + ".md");

        public static readonly DiagnosticDescriptor AnnotationDoesNotResolve = Create(
            AnnotationDoesNotResolveId, Annotations,
            "Annotation does not resolve",
            "{0}",
            "A lock expression, target, parameter name or state in an annotation names nothing. An annotation that does not resolve is never silently ignored.");

        public static readonly DiagnosticDescriptor AnnotationMisapplied = Create(
            AnnotationMisappliedId, Annotations,
            "Annotation misapplied",
            "{0}",
            "An annotation is applied where it cannot mean anything: a lock expression naming a non-lock or calling a method, a try-acquire on a method of the wrong return type.");

        public static readonly DiagnosticDescriptor ExternalAnnotationMalformed = Create(
            ExternalAnnotationMalformedId, Annotations,
            "External annotation line is malformed or does not resolve",
            "{0} line {1}: {2}",
            "A line of an external annotations file (DriverSafety.Annotations.txt or DriverSafety.Annotations.*.txt, passed as AdditionalFiles) has no documentation-comment id, attributes that do not parse, an unknown attribute, an argument that does not fit, or an id that names no member of the compilation or its references. The line contributes no contract: it is never silently ignored.");

        private static DiagnosticDescriptor Create(string id, string category, string title, string message, string description, params string[] customTags) =>
            new DiagnosticDescriptor(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
                description: description, helpLinkUri: HelpLinkBase + id + ".md", customTags: customTags);
    }
}
