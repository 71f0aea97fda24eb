using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>The execution-context family's annotations (SPEC §3.2): today the names of <c>[Allocates]</c>.</summary>
    internal sealed class ContextAnnotationReader : AnnotationReader
    {
        public ContextAnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
            : base(known, resolver)
        {
        }

        public override bool Reads(AttributeData attribute) => KnownSymbols.Is(attribute, Known.Allocates);

        public override void Read(AttributeData attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems) =>
            CheckAllocates(attribute, symbol, problems);

        private void CheckAllocates(AttributeData attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (symbol is not IMethodSymbol method || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var name = attribute.ConstructorArguments[0].Value as string;
            var parameter = method.Parameters.FirstOrDefault(p => p.Name == name);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': there is no parameter named '{name}'");
            }
            else if (!parameter.Type.GetAttributes().Any(a => KnownSymbols.Is(a, Known.AllocationFlags)))
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': parameter '{name}' is of type '{parameter.Type.ToDisplayString()}', not an [AllocationFlags] enum");
            }
        }
    }
}
