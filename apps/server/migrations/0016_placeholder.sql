-- Placeholder for migration 0016, which another change of issue 17 owns. The integrator drops this file
-- when the real 0016 lands; it only keeps the numbering consecutive on this branch.
SELECT 1;
