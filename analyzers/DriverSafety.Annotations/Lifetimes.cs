using System;

namespace DriverSafety
{
    /// <summary>Which result of a <see cref="BeginsAttribute"/> method means the resource was begun.</summary>
    public enum ReturnIs
    {
        /// <summary>Any result: the call always begins the resource.</summary>
        Any = 0,
        /// <summary>The method returned <c>true</c>.</summary>
        True,
        /// <summary>The method returned <c>false</c>.</summary>
        False,
        /// <summary>The method returned zero (kernel success).</summary>
        Zero,
        /// <summary>The method returned a non-zero value (a count of mapped entries, <c>dma_map_sg</c>).</summary>
        NonZero,
        /// <summary>The method returned <c>null</c>.</summary>
        Null,
        /// <summary>The method returned a non-null reference (<c>vmap</c>).</summary>
        NonNull,
    }

    /// <summary>
    /// Starts <see cref="Resource"/> on <see cref="Target"/> on the path where the result matches <see cref="When"/>.
    /// Kernel analog: <c>dma_map_sg</c>, <c>vmap</c>, <c>pin</c>, <c>dma_buf_begin_cpu_access</c>,
    /// <c>mmu_notifier_invalidate_range_start</c>; <c>CONFIG_DMA_API_DEBUG</c> tracks the same.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = true)]
    public sealed class BeginsAttribute : Attribute
    {
        /// <summary>Declares the resource begun by the call.</summary>
        public BeginsAttribute(string resource) => Resource = resource;

        /// <summary>The resource (and state) name.</summary>
        public string Resource { get; }

        /// <summary>The object that gets the resource: <c>this</c>, a parameter, <c>return</c>, or a member path from one of them.</summary>
        public string Target { get; set; } = "this";

        /// <summary>A lock that must stay held until the resource is ended (vmap under the reservation lock).</summary>
        public string? While { get; set; }

        /// <summary>The resource must be ended in the method that began it, on every path.</summary>
        public bool Scoped { get; set; }

        /// <summary>The resource is counted (pin, vmap, get_pages): it may be begun again and is balanced by its ends.</summary>
        public bool Counted { get; set; }

        /// <summary>The result that means the resource was begun.</summary>
        public ReturnIs When { get; set; } = ReturnIs.Any;

        /// <summary>The <c>out</c> parameter (or <c>return</c>) that carries the mapping handle.</summary>
        public string? Handle { get; set; }

        /// <summary>The method the handle must be passed to, on every path, before any other use (<c>dma_mapping_error</c>).</summary>
        public string? CheckedBy { get; set; }
    }

    /// <summary>
    /// Ends <see cref="Resource"/> on <see cref="Target"/>. Kernel analog: <c>dma_unmap_sg</c>, <c>vunmap</c>,
    /// <c>dma_free_coherent</c>, <c>unpin</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class EndsAttribute : Attribute
    {
        /// <summary>Declares the resource ended by the call.</summary>
        public EndsAttribute(string resource) => Resource = resource;

        /// <summary>The resource name.</summary>
        public string Resource { get; }

        /// <summary>The object that loses the resource.</summary>
        public string Target { get; set; } = "this";

        /// <summary>Parameters (<c>"dev,size,handle"</c>) whose arguments must equal those of the call that began it.</summary>
        public new string? Match { get; set; }
    }

    /// <summary>The target must be in <see cref="State"/> at the call. Kernel analog: <c>WARN_ON(!obj->pages_pin_count)</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class RequiresStateAttribute : Attribute
    {
        /// <summary>Declares the state required at the call.</summary>
        public RequiresStateAttribute(string state) => State = state;

        /// <summary>The state name.</summary>
        public string State { get; }

        /// <summary>The object whose state is required.</summary>
        public string Target { get; set; } = "this";
    }

    /// <summary>The target must not be in <see cref="State"/> at the call. Kernel analog: <c>WARN_ON(obj->import_attach)</c>.</summary>
    [AttributeUsage(AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class RequiresNotStateAttribute : Attribute
    {
        /// <summary>Declares the state forbidden at the call.</summary>
        public RequiresNotStateAttribute(string state) => State = state;

        /// <summary>The state name.</summary>
        public string State { get; }

        /// <summary>The object whose state is checked.</summary>
        public string Target { get; set; } = "this";
    }

    /// <summary>After the call the target is in <see cref="State"/>. Kernel analog: <c>drm_gem_prime_import</c> (sets <c>import_attach</c>).</summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = true)]
    public sealed class EnsuresStateAttribute : Attribute
    {
        /// <summary>Declares the state established by the call.</summary>
        public EnsuresStateAttribute(string state) => State = state;

        /// <summary>The state name.</summary>
        public string State { get; }

        /// <summary>The object whose state is established.</summary>
        public string Target { get; set; } = "this";
    }

    /// <summary>After the call the target is not in <see cref="State"/>.</summary>
    [AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, Inherited = true, AllowMultiple = true)]
    public sealed class EnsuresNotStateAttribute : Attribute
    {
        /// <summary>Declares the state cleared by the call.</summary>
        public EnsuresNotStateAttribute(string state) => State = state;

        /// <summary>The state name.</summary>
        public string State { get; }

        /// <summary>The object whose state is cleared.</summary>
        public string Target { get; set; } = "this";
    }

    /// <summary>
    /// On the branch where the annotated member is <c>true</c> (or non-null) the target is in <see cref="State"/>;
    /// where it is <c>false</c> (or null) it is not. Kernel analog: <c>obj-&gt;import_attach != NULL</c>.
    /// </summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Method, Inherited = true, AllowMultiple = true)]
    public sealed class StateTestAttribute : Attribute
    {
        /// <summary>Declares the state the member tests.</summary>
        public StateTestAttribute(string state) => State = state;

        /// <summary>The state name.</summary>
        public string State { get; }

        /// <summary>The object whose state is tested, relative to the owner (<c>"Pages"</c> means <c>owner.Pages</c>).</summary>
        public string Target { get; set; } = "this";
    }

    /// <summary>The member may be assigned only in constructors and initializers. Kernel analog: <c>vma-&gt;vm_file</c> (seed 001).</summary>
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
    public sealed class NoReassignAttribute : Attribute
    {
    }
}
