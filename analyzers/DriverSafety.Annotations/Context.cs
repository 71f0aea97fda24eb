using System;

namespace DriverSafety
{
    /// <summary>Calling the annotated member may sleep. Kernel analog: <c>might_sleep()</c>.</summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = false)]
    public sealed class MightSleepAttribute : Attribute
    {
    }

    /// <summary>
    /// The body (and every lambda or method converted to the annotated delegate type) runs in atomic context;
    /// on an interface or abstract member it applies to every implementation. Kernel analog: IRQ handlers, timer callbacks.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Delegate | AttributeTargets.Interface | AttributeTargets.Class | AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
    public sealed class AtomicContextAttribute : Attribute
    {
        /// <summary>The body runs with IRQs disabled too (a hard IRQ handler): DRV2002 and DRV1012 apply.</summary>
        public bool IrqsOff { get; set; }
    }

    /// <summary>Raises the atomic depth by one. Kernel analog: <c>preempt_disable</c>, <c>rcu_read_lock</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class EntersAtomicAttribute : Attribute
    {
    }

    /// <summary>Lowers the atomic depth by one. Kernel analog: <c>preempt_enable</c>, <c>rcu_read_unlock</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class ExitsAtomicAttribute : Attribute
    {
    }

    /// <summary>Raises the IRQ-off depth by one (IRQs off implies atomic). Kernel analog: <c>local_irq_save</c>, <c>local_irq_disable</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class DisablesIrqsAttribute : Attribute
    {
    }

    /// <summary>Lowers the IRQ-off depth by one. Kernel analog: <c>local_irq_restore</c>, <c>local_irq_enable</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class EnablesIrqsAttribute : Attribute
    {
    }

    /// <summary>Calling the annotated member with IRQs disabled is a bug. Kernel analog: <c>dma_free_coherent</c> (<c>WARN_ON(irqs_disabled())</c>).</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class RequiresIrqsEnabledAttribute : Attribute
    {
    }

    /// <summary>The annotated <c>[Flags]</c> enum carries allocation flags. Kernel analog: <c>gfp_t</c>.</summary>
    [AttributeUsage(AttributeTargets.Enum, Inherited = false, AllowMultiple = false)]
    public sealed class AllocationFlagsAttribute : Attribute
    {
    }

    /// <summary>An allocation whose flags contain this bit may sleep. Kernel analog: <c>__GFP_DIRECT_RECLAIM</c>.</summary>
    [AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
    public sealed class MaySleepFlagAttribute : Attribute
    {
    }

    /// <summary>An allocation that may sleep and whose flags contain this bit may recurse into reclaim. Kernel analog: <c>__GFP_FS</c>, <c>__GFP_IO</c>.</summary>
    [AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
    public sealed class ReclaimFlagAttribute : Attribute
    {
    }

    /// <summary>The annotated method allocates with the flags carried by the named parameter. Kernel analog: <c>kmalloc(size, gfp)</c>.</summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = false)]
    public sealed class AllocatesAttribute : Attribute
    {
        /// <summary>Names the parameter, of an <see cref="AllocationFlagsAttribute"/> enum type, that carries the flags.</summary>
        public AllocatesAttribute(string flagsParameter) => FlagsParameter = flagsParameter;

        /// <summary>The name of the flags parameter.</summary>
        public string FlagsParameter { get; }
    }

    /// <summary>
    /// From the call until the matching <see cref="UnmasksAllocationFlagsAttribute"/> call, every allocation behaves as if
    /// the named flags (<c>"Io|Fs"</c>, <c>"DirectReclaim"</c>) were cleared; nests like a depth.
    /// Kernel analog: <c>memalloc_nofs_save</c>, <c>memalloc_noio_save</c>, <c>memalloc_noreclaim_save</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class MasksAllocationFlagsAttribute : Attribute
    {
        /// <summary>Names the masked flags, joined with <c>|</c>.</summary>
        public MasksAllocationFlagsAttribute(string flags) => Flags = flags;

        /// <summary>The masked flag names, joined with <c>|</c>.</summary>
        public string Flags { get; }
    }

    /// <summary>Ends the innermost <see cref="MasksAllocationFlagsAttribute"/> scope. Kernel analog: <c>memalloc_nofs_restore</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
    public sealed class UnmasksAllocationFlagsAttribute : Attribute
    {
    }
}
