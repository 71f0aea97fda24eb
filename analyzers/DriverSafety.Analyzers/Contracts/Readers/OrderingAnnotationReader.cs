using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>The lock-order family's annotations (SPEC §3.1, §4): the lock classes of <c>[AcquiredBefore]</c>/<c>[AcquiredAfter]</c>.</summary>
    internal sealed class OrderingAnnotationReader : AnnotationReader
    {
        public OrderingAnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
            : base(known, resolver)
        {
        }

        public override bool Reads(Annotation attribute) =>
            KnownSymbols.Is(attribute, Known.AcquiredBefore) || KnownSymbols.Is(attribute, Known.AcquiredAfter);

        public override void Read(Annotation attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems) =>
            CheckLockClasses(attribute, symbol, attribute.AttributeClass!.Name.Replace("Attribute", string.Empty), problems);

        private void CheckLockClasses(Annotation attribute, ISymbol symbol, string name, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind != TypedConstantKind.Array)
            {
                return;
            }

            var argument = attribute.ConstructorArguments[0];
            if (argument.IsNull || argument.Values.IsEmpty)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}] on '{symbol.Name}' names no lock class");
                return;
            }

            foreach (var value in argument.Values)
            {
                if (Resolver.ResolveLockClass(value.Value as string, symbol, out var problem, out var detail, attribute.ApplicationSyntaxReference) is null)
                {
                    Report(problems, Kind(problem), attribute, $"[{name}] on '{symbol.Name}': {detail}");
                }
            }
        }
    }
}
