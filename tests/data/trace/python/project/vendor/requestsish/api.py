import sixish
