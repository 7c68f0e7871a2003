// One AppHost and one Chromium for the whole assembly: on two cores, a second stack would only slow the first.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
